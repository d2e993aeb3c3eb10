"""Pushes that carry what the server must answer per mutation — never with a server error, which the device
would answer by re-sending the same batch for ever."""

from typing import Any

import pytest
from django.db import IntegrityError
from rest_framework.test import APIClient

from apps.registry.models import Building, Residence
from apps.registry.services import buildings as building_services
from tests.sync.conftest import XA, collect_building, collect_person, mutation, push, shifted

pytestmark = pytest.mark.django_db
__all__ = ["collect_building", "collect_person"]


@pytest.mark.parametrize("mutations", [5, True, 1.5, "x", {"a": 1}])
def test_mutations_that_are_not_a_list_are_a_400(device: APIClient, mutations: Any) -> None:
    response = device.post(
        "/api/v1/sync/push/", {"device_id": "phone-1", "mutations": mutations}, format="json"
    )
    assert response.status_code == 400 and "mutations" in response.json()["errors"]


def test_a_nul_character_quoted_back_in_an_error_is_stored_without_it(device: APIClient) -> None:
    sent = mutation("building", address="新垵村529号", use="rental\u0000")
    (result,) = push(device, sent)
    assert result["status"] == "rejected" and "use" in result["errors"]["data"]
    assert push(device, sent) == [result]  # stored, and answered the same when re-sent


def test_a_mutation_the_database_refuses_is_rejected_and_the_batch_goes_on(
    device: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = building_services.journal_record

    def refuse_one(**kwargs: Any) -> None:
        if Building.objects.filter(pk=kwargs["record_id"], address="新垵村2号").exists():
            raise IntegrityError("refused")
        original(**kwargs)

    monkeypatch.setattr(building_services, "journal_record", refuse_one)
    mutations = [
        mutation("building", point=shifted(XA, north_m=300 * n), address=f"新垵村{n}号", photos=["0" * 64])
        for n in (1, 2, 3)
    ]
    results = push(device, *mutations)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"] == {"non_field_errors": [results[1]["errors"]["non_field_errors"][0]]}
    assert sorted(Building.objects.values_list("address", flat=True)) == ["新垵村1号", "新垵村3号"]


def test_a_residence_update_changes_room_and_relation(
    device: APIClient, collect_building: Any, collect_person: Any
) -> None:
    building = collect_building().record
    person = collect_person(name="王芳").record
    data = {"person_id": str(person.pk), "building_id": str(building.pk), "room": "302", "relation": "tenant"}
    (created,) = push(device, mutation("residence", point=None, **data))
    (updated,) = push(device, mutation("residence", "update", record_id=created["id"], base=1, point=None,
                                       room="401", relation="owner"))  # fmt: skip
    assert (updated["status"], updated["version"]) == ("applied", 2)
    residence = Residence.objects.get(pk=created["id"])
    assert (residence.room, residence.relation, residence.version) == ("401", "owner", 2)
    other = collect_building(point=shifted(XA, north_m=400), address="新垵村7号").record
    (moved,) = push(device, mutation("residence", "update", record_id=created["id"], base=2, point=None,
                                     building_id=str(other.pk)))  # fmt: skip
    assert moved["status"] == "rejected" and "building_id" in moved["errors"]


def test_deleting_an_ended_residence_keeps_its_end(
    device: APIClient, collect_building: Any, collect_person: Any
) -> None:
    building = collect_building().record
    person = collect_person(name="王芳").record
    data = {"person_id": str(person.pk), "building_id": str(building.pk), "room": "302", "relation": "tenant",
            "since": "2020-01-01", "until": "2021-06-30"}  # fmt: skip
    (created,) = push(device, mutation("residence", point=None, **data))
    (deleted,) = push(device, mutation("residence", "delete", record_id=created["id"], base=1, point=None))
    assert (deleted["status"], deleted["version"]) == ("applied", 1)
    assert str(Residence.objects.get(pk=created["id"]).until) == "2021-06-30"
    again = device.post(f"/api/v1/residences/{created['id']}/end/", {"until": "2022-01-01"}, format="json")
    assert again.status_code == 409
    assert str(Residence.objects.get(pk=created["id"]).until) == "2021-06-30"
