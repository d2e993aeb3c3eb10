"""Pull envelopes field by field (snapshot and changes pages alike) and the access log a pull writes."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.journal.models import AccessChannel, AccessLogEntry
from apps.registry.models import Building, Person, Residence
from tests.sync.conftest import XA, id_number, mutation, pull_all, push, shifted

pytestmark = pytest.mark.django_db(transaction=True)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _by_id(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {change["id"]: change for change in changes}


def _expected(
    building: Building, person: Person, residence: Residence, number: str
) -> dict[str, dict[str, Any]]:
    """The envelopes the protocol promises, built from the models (not from the pull's own code)."""
    grid = building.grid.code
    return {
        str(building.pk): {
            "type": "building", "id": str(building.pk), "version": building.version,
            "updated_at": _utc(building.updated_at), "deleted": False,
            "geometry": {"type": "Point", "coordinates": [round(building.location.x, 7), round(building.location.y, 7)]},
            "data": {"address": building.address, "address_code": building.address_code, "name": building.name,
                     "use": building.use, "floors": building.floors, "footprint": None,
                     "landlord_id": str(person.pk), "grid": grid},
        },
        str(person.pk): {
            "type": "person", "id": str(person.pk), "version": person.version, "updated_at": _utc(person.updated_at),
            "deleted": False,
            "geometry": {"type": "Point", "coordinates": [round(person.location.x, 7), round(person.location.y, 7)]},
            "data": {"name": "陈伟", "gender": "male", "birth_date": "1990-03-07", "id_number": number,
                     "phone": "13812345678", "passport_number": None, "household_type": person.household_type,
                     "tags": ["elderly_alone"], "grid": grid},
        },
        str(residence.pk): {
            "type": "residence", "id": str(residence.pk), "version": residence.version,
            "updated_at": _utc(residence.updated_at), "deleted": False, "geometry": None,
            "data": {"person_id": str(residence.person_id), "building_id": str(building.pk), "room": "302",
                     "relation": residence.relation, "since": residence.since.isoformat() if residence.since else None,
                     "until": None},
        },
    }  # fmt: skip


def test_every_field_of_each_kind_in_snapshot_and_in_changes(device: APIClient) -> None:
    number = id_number()
    owner = mutation("person", name="陈伟", id_number=number, phone="13812345678", tags=["elderly_alone"])
    home = mutation("building", address="新垵村529号", floors=5, use="residential", name="林宅",
                    landlord_id=owner["id"])  # fmt: skip
    tenant = mutation("person", point=None, name="王芳", residence={"building_id": home["id"], "room": "302"})
    assert [r["status"] for r in push(device, owner, home, tenant)] == ["applied"] * 3
    building, person = Building.objects.get(pk=home["id"]), Person.objects.get(pk=owner["id"])
    residence = Residence.objects.get(person_id=tenant["id"])

    snapshot, cursor = pull_all(device)
    expected = _expected(building, person, residence, number)
    pulled = _by_id(snapshot)
    for record_id, envelope in expected.items():
        assert pulled[record_id] == envelope

    # The same records through a changes page: each touched once more, then pulled after the cursor.
    push(device, mutation("building", "update", record_id=home["id"], base=1, point=None, floors=6),
         mutation("person", "update", record_id=owner["id"], base=1, point=None, phone="13912345678"))  # fmt: skip
    changes, _ = pull_all(device, cursor)
    building.refresh_from_db()
    person.refresh_from_db()
    expected = _expected(building, person, residence, number)
    expected[str(person.pk)]["data"]["phone"] = "13912345678"
    pulled = _by_id(changes)
    assert pulled[str(building.pk)] == expected[str(building.pk)]
    assert pulled[str(person.pk)] == expected[str(person.pk)]
    assert pulled[str(building.pk)]["data"]["floors"] == 6


def test_a_pull_logs_what_it_revealed_grouped_by_fields(device: APIClient, worker: Any) -> None:
    revealing = [
        mutation("person", name=f"居民{i}", id_number=id_number(seq=f"{i:03d}"), tags=["disabled"])
        for i in range(3)
    ]
    with_phone = mutation("person", name="有电话", phone="13812345678")
    building = mutation("building", address="新垵村530号")
    push(device, *revealing, with_phone, building)
    AccessLogEntry.objects.all().delete()

    pull_all(device)
    rows = {
        (row.record_type, tuple(row.fields)): sorted(map(str, row.record_ids))
        for row in AccessLogEntry.objects.filter(channel=AccessChannel.PULL, user_id=worker.pk)
    }
    assert rows == {
        ("person", ("id_number", "location", "tags")): sorted(m["id"] for m in revealing),
        ("person", ("location", "phone")): [with_phone["id"]],
    }
    assert AccessLogEntry.objects.count() == 2  # nothing for the building


def test_a_page_costs_the_same_queries_for_few_and_many_records(device: APIClient) -> None:
    def page() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = device.get("/api/v1/sync/pull/", {"limit": 1000})
        assert response.status_code == 200
        return len(queries), len(response.json()["changes"])

    def records(start: int, count: int) -> list[dict[str, Any]]:
        return [
            m for i in range(start, start + count) for m in (
                mutation("building", point=shifted(XA, east_m=15 * i), address=f"新垵村{600 + i}号"),
                mutation("person", point=shifted(XA, north_m=15 * i), name=f"居民{i}",
                         id_number=id_number(seq=f"{i:03d}")),
            )
        ]  # fmt: skip

    push(device, *records(0, 1))
    few_queries, few_records = page()
    assert {r["status"] for r in push(device, *records(1, 20))} == {"applied"}
    many_queries, many_records = page()
    assert (few_records, many_records) == (2, 42)
    assert many_queries == few_queries
