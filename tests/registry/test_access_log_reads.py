"""Lists and details that show sensitive or special fields write the access log, as the detail of a person
does: a page of people shows their tags and location; residences show rooms."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.journal.models import AccessLogEntry

pytestmark = pytest.mark.django_db


def test_people_list_showing_special_tags_is_written_to_the_access_log(
    client: APIClient, collect_person: Any, worker: Any
) -> None:
    person = collect_person(name="陈阿婆", tags=["drug_rehabilitation"]).record
    response = client.get("/api/v1/people/")
    assert response.status_code == 200
    (row,) = [p for p in response.json()["results"] if p["id"] == str(person.pk)]
    assert row["tags"] == ["drug_rehabilitation"]
    logged = AccessLogEntry.objects.filter(user_id=worker.pk, record_ids__contains=[person.pk])
    assert logged.exists(), "a special-category field was shown without an access-log entry"


def test_residence_list_showing_rooms_is_written_to_the_access_log(
    client: APIClient, collect_person: Any, collect_building: Any, worker: Any
) -> None:
    from apps.registry.services import residence_collect

    building = collect_building().record
    person = collect_person(name="李四").record
    residence, _ = residence_collect(person=person, building=building, room="302", relation="tenant")
    response = client.get("/api/v1/residences/")
    assert response.status_code == 200
    assert any(r["room"] == "302" for r in response.json()["results"])
    detail = client.get(f"/api/v1/residences/{residence.pk}/")
    assert detail.json()["room"] == "302"
    logged = AccessLogEntry.objects.filter(user_id=worker.pk, record_type="residence")
    assert logged.exists(), "exact residence rooms (sensitive) were shown without an access-log entry"
