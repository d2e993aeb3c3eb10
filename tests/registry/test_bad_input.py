"""Input that validation must refuse with a field error, and writes that a database constraint would refuse:
a 400 (or a rejected mutation), never a server error."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.registry.models import Building, Person, Residence
from tests.registry.conftest import XA, geo, id_number, shifted
from tests.sync.conftest import device, mutation, push

__all__ = ["device"]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "message"),
    [("新垵村" + "1" * 40 + "号", "house number"), ("新垵村5号" + "2" * 20 + "栋", "block number")],
)
def test_house_and_block_numbers_longer_than_kept_are_refused(
    device: APIClient, address: str, message: str
) -> None:
    body = {"address": address, "location": geo(XA)}
    response = device.post("/api/v1/buildings/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and message in str(response.json()["errors"]["address"]).lower()
    # Alone (with photos) and in a run of new buildings alike.
    for data in ({"address": address, "photos": ["0" * 64]}, {"address": address}):
        (result,) = push(device, mutation("building", **data))
        assert result["status"] == "rejected" and "address" in result["errors"]["data"]
    assert not Building.objects.exists()


def test_a_long_name_is_kept_with_its_pinyin_key_cut_to_the_column(device: APIClient) -> None:
    response = device.post("/api/v1/people/", {"name": "庄" * 100, "location": geo(XA)}, format="json")
    assert response.status_code == 201, response.content[:300]
    (result,) = push(device, mutation("person", name="庄" * 100))
    assert result["status"] == "applied"  # a namesake without birth date or numbers: not the same person
    keys = {len(p.name_key) for p in Person.objects.filter(pk__in=[result["id"], response.json()["id"]])}
    assert keys == {200}


def test_a_footprint_with_heights_is_refused(device: APIClient) -> None:
    x, y = XA
    ring = [
        [x, y, 1.0],
        [x + 0.0001, y, 1.0],
        [x + 0.0001, y + 0.0001, 1.0],
        [x, y + 0.0001, 1.0],
        [x, y, 1.0],
    ]
    body = {
        "address": "新垵村529号",
        "location": geo(XA),
        "footprint": {"type": "Polygon", "coordinates": [ring]},
    }
    response = device.post("/api/v1/buildings/", body, format="json")
    assert response.status_code == 400 and "footprint" in response.json()["errors"]


def test_a_standard_address_code_another_building_holds_is_refused(
    device: APIClient, collect_building: Any
) -> None:
    collect_building(address="新垵村529号", address_code="A-1")
    other = collect_building(point=shifted(XA, north_m=500), address="新垵村7号", address_code="A-2").record
    response = device.patch(
        f"/api/v1/buildings/{other.pk}/", {"address_code": "A-1"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400 and "address_code" in response.json()["errors"]
    (result,) = push(
        device, mutation("building", "update", record_id=other.pk, base=1, point=None, address_code="A-1")
    )
    assert result["status"] == "rejected" and "address_code" in result["errors"]
    assert Building.objects.get(pk=other.pk).address_code == "A-2"


def test_undoing_a_merge_whose_standard_code_was_given_again_is_refused(
    api_client: Any, admin_user: Any, device: APIClient, collect_building: Any
) -> None:
    survivor = collect_building(address="新垵村529号", address_code="C-0").record
    merged = collect_building(point=shifted(XA, north_m=500), address="新垵村7号", address_code="C-1").record
    admin = api_client(admin_user)
    response = admin.post("/api/v1/registry/merges/", {"record_type": "building", "survivor_id": str(survivor.pk),
                                                       "merged_id": str(merged.pk)}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content[:300]
    # Only the tombstone holds C-1 now: a new building with that code is created, not merged.
    body = {"address": "新垵村9号", "address_code": "C-1", "location": geo(shifted(XA, north_m=1000))}
    assert device.post("/api/v1/buildings/", body, format="json").status_code == 201
    undo = admin.post(f"/api/v1/registry/merges/{response.json()['id']}/undo/", format="json")
    assert undo.status_code == 409, undo.content[:300]
    assert Building.objects.filter(address_code="C-1", merged_into__isnull=True).count() == 1


def test_the_same_id_number_wins_over_the_same_passport(collect_person: Any, device: APIClient) -> None:
    number = id_number()
    holder = collect_person(name="陈伟", id_number=number).record
    passport_holder = collect_person(name="Chen Wei", passport_number="E12345678").record
    assert str(passport_holder.pk) > str(holder.pk)  # the id would break the tie the other way
    body = {"name": "陈伟", "id_number": number, "passport_number": "E12345678", "location": geo(XA)}
    response = device.post("/api/v1/people/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == str(holder.pk)
    assert response.json()["match"]["reasons"] == ["same ID number"]


def test_a_residence_registered_again_may_not_end_before_it_began(
    device: APIClient, collect_building: Any, collect_person: Any
) -> None:
    building = collect_building().record
    person = collect_person(name="王芳").record
    body = {"person_id": str(person.pk), "building_id": str(building.pk), "room": "302", "relation": "tenant"}
    assert (
        device.post("/api/v1/residences/", {**body, "since": "2024-05-01"}, format="json").status_code == 201
    )
    response = device.post("/api/v1/residences/", {**body, "until": "2024-01-01"}, format="json")
    assert response.status_code == 400 and "until" in response.json()["errors"]
    (result,) = push(device, mutation("residence", point=None, until="2024-01-01", **body))
    assert result["status"] == "rejected" and "until" in result["errors"]
    assert Residence.objects.get().until is None
