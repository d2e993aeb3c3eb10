"""References a client sends on create paths go through the visibility gate: a new person's residence building
and a building's landlord must be records the caller may see, on REST and the push alike, and the answer is
the same for an id that does not exist and one out of sight (it tells nothing of which ids exist)."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.ids import uuid7
from apps.registry.models import Building, Person
from tests.registry.conftest import HH, XA, geo, id_number, shifted
from tests.sync.conftest import mutation, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-SY-HH-01")


@pytest.fixture
def other_grid(outsider: User, collect_building: Any, collect_person: Any) -> dict[str, Any]:
    """A building and a person in 海虹社区, which the 新垵村 worker may not see."""
    building = collect_building(point=HH, address="海虹社区8号", collector=outsider).record
    person = collect_person(point=HH, name="林芳", id_number=id_number(seq="456"), collector=outsider).record
    return {"building": building, "person": person}


def test_a_new_persons_residence_must_be_a_building_the_collector_may_see(
    client: APIClient, other_grid: dict[str, Any]
) -> None:
    residence = {"building_id": str(other_grid["building"].pk), "relation": "tenant"}
    response = client.post("/api/v1/people/", {"name": "陈伟", "residence": residence}, format="json")
    assert response.status_code == 400 and "building_id" in response.json()["errors"]["residence"]
    (result,) = push(client, mutation("person", point=None, name="陈伟", residence=residence))
    assert result["status"] == "rejected" and "residence" in result["errors"]
    assert not Person.objects.filter(name="陈伟").exists()


def test_a_landlord_must_be_a_person_the_collector_may_see_and_unknown_ids_answer_alike(
    client: APIClient, other_grid: dict[str, Any], collect_building: Any, collect_person: Any
) -> None:
    hidden, unknown = str(other_grid["person"].pk), str(uuid7())
    answers = []
    for landlord in (hidden, unknown):
        body = {"address": "新垵村529号", "location": geo(XA), "landlord_id": landlord}
        response = client.post("/api/v1/buildings/", body, format="json")
        assert response.status_code == 400
        answers.append(response.json()["errors"]["landlord_id"])
        # The push: alone (with a photo) and in a run of new buildings (the batch path).
        for data in ({"photos": ["0" * 64]}, {}):
            (result,) = push(
                client, mutation("building", address="新垵村530号", landlord_id=landlord, **data)
            )
            assert result["status"] == "rejected" and "landlord_id" in result["errors"]
            answers.append(result["errors"]["landlord_id"])
    assert len({str(a) for a in answers}) == 1  # the same words for a hidden person and a made-up id
    assert not Building.objects.filter(landlord__isnull=False).exists()
    # PATCH of a building: the same.
    building = collect_building(point=shifted(XA, north_m=300), address="新垵村1号").record
    patch = client.patch(
        f"/api/v1/buildings/{building.pk}/", {"landlord_id": hidden}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == 400 and "landlord_id" in patch.json()["errors"]
    # A person the collector sees is accepted, named by any of their ids.
    mine = collect_person(name="王芳").record
    ok = client.post(
        "/api/v1/buildings/",
        {"address": "新垵村2号", "location": geo(shifted(XA, east_m=300)), "landlord_id": str(mine.pk)},
        format="json",
    )
    assert ok.status_code == 201 and Building.objects.get(pk=ok.json()["id"]).landlord_id == mine.pk
