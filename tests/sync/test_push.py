"""Push: applied / merged / conflict / rejected, at most once per mutation id."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.registry.models import Building, Person
from apps.sync.models import AppliedMutation, ConflictItem
from tests.sync.conftest import XA, id_number, mutation, push, shifted

pytestmark = pytest.mark.django_db


def test_create_then_merge_then_alias_keeps_working(device: APIClient) -> None:
    first = mutation("building", address="新垵村529号", floors=5)
    second = mutation("building", point=shifted(XA, east_m=10), address="海沧区新垵村五二九号", use="rental")
    applied, merged = push(device, first, second)
    assert (applied["status"], applied["id"], applied["version"]) == ("applied", first["id"], 1)
    assert merged["status"] == "merged" and merged["merged_into"] == first["id"] == merged["id"]
    assert merged["match"]["score"] >= 0.85
    # The device that made `second` keeps using its own id: it acts on the canonical record.
    (update,) = push(
        device, mutation("building", "update", record_id=second["id"], base=2, point=None, floors=6)
    )
    assert update["status"] == "applied" and update["id"] == first["id"]
    assert Building.objects.get(pk=first["id"]).floors == 6


def test_replay_returns_the_first_result_and_applies_once(device: APIClient) -> None:
    batch = [
        mutation("building", address=f"新垵村{n}号", point=shifted(XA, north_m=n * 120)) for n in range(3)
    ]
    first = push(device, *batch)
    for _ in range(4):
        assert push(device, *batch) == first
    assert Building.objects.count() == 3
    assert AppliedMutation.objects.count() == 3


def test_same_mutation_id_with_another_body_is_rejected(device: APIClient) -> None:
    original = mutation("building", address="新垵村529号")
    push(device, original)
    changed = {**original, "data": {"address": "新垵村530号"}}
    (result,) = push(device, changed)
    assert result["status"] == "rejected" and "mutation_id" in result["errors"]
    assert Building.objects.count() == 1


def test_one_bad_mutation_does_not_affect_the_others(device: APIClient) -> None:
    good = mutation("building", address="新垵村529号")
    bad_id = mutation("person", name="陈伟", id_number="350205199003071230")
    outside = mutation("building", point=(116.4, 39.9), address="北京")
    later = mutation("person", name="王芳")
    results = push(device, good, bad_id, outside, later)
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert "id_checksum" in str(results[1]["errors"])
    assert "location" in results[2]["errors"]
    assert Person.objects.count() == 1 and Building.objects.count() == 1


def test_references_to_records_created_earlier_in_the_batch(device: APIClient) -> None:
    home = mutation("building", address="新垵村529号")
    tenant = mutation("person", point=None, name="王芳", residence={"building_id": home["id"], "room": "302"})
    results = push(device, home, tenant)
    assert [r["status"] for r in results] == ["applied", "applied"]
    person = Person.objects.get(pk=tenant["id"])
    assert person.residences.get().building_id == Building.objects.get(pk=home["id"]).pk


def test_three_way_merge_field_by_field(device: APIClient, api_client: Any, worker_of: Any) -> None:
    (created,) = push(
        device, mutation("building", address="新垵村529号", floors=5, use="residential", name="林宅")
    )
    building_id = created["id"]
    colleague = api_client(worker_of("HC-XY-XA-01"))
    # The server changes floors (5→6) and name; the device edited version 1 offline.
    push(
        colleague,
        mutation("building", "update", record_id=building_id, base=1, point=None, floors=6, name="林氏宅"),
    )
    offline = mutation("building", "update", record_id=building_id, base=1, point=None,
                       floors=7, use="rental", name="林氏宅")  # fmt: skip
    (result,) = push(device, offline)
    assert result["status"] == "conflict"
    assert result["conflicts"] == [{"field": "floors", "device": 7, "server": 6, "server_version": 3}]
    building = Building.objects.get(pk=building_id)
    assert (building.floors, building.use, building.name) == (
        6,
        "rental",
        "林氏宅",
    )  # use applied, same name no conflict
    conflict = ConflictItem.objects.get()
    assert (conflict.field, conflict.device_value, conflict.server_value, conflict.status) == (
        "floors",
        7,
        6,
        "open",
    )
    assert push(device, offline) == [result]  # the same answer on re-push
    assert ConflictItem.objects.count() == 1


def test_update_without_base_version_or_out_of_scope_is_rejected(device: APIClient, collect_building: Any,
                                                                  worker_of: Any) -> None:  # fmt: skip
    mine = collect_building().record
    other_worker = worker_of("HC-SY-HH-01")
    theirs = collect_building(collector=other_worker, point=(118.0550, 24.4350), address="海虹社区8号").record
    no_base = mutation("building", "update", record_id=mine.pk, point=None, floors=3)
    foreign = mutation("building", "update", record_id=theirs.pk, base=1, point=None, floors=3)
    results = push(device, no_base, foreign)
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "base_version" in results[0]["errors"] and "id" in results[1]["errors"]


def test_unknown_type_and_malformed_mutations(device: APIClient) -> None:
    event = mutation("organization", name="x")
    broken = {"mutation_id": "not-a-uuid", "type": "building", "op": "rename"}
    results = push(device, event, broken)
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "type" in results[0]["errors"]
    assert set(results[1]["errors"]) == {"mutation_id", "op"}
    nameless = device.post(
        "/api/v1/sync/push/", {"device_id": "d", "mutations": [{"type": "building"}]}, format="json"
    )
    assert nameless.status_code == 400  # without a mutation id there is nothing to answer per mutation
    assert "mutations" in nameless.json()["errors"]


def test_limits_are_413(device: APIClient) -> None:
    many = [mutation("building", address=f"新垵村{n}号") for n in range(1001)]
    assert (
        device.post("/api/v1/sync/push/", {"device_id": "d", "mutations": many}, format="json").status_code
        == 413
    )
    huge = [mutation("building", address="新垵村1号", note="x" * 6_000_000)]
    assert (
        device.post("/api/v1/sync/push/", {"device_id": "d", "mutations": huge}, format="json").status_code
        == 413
    )
    assert not Building.objects.exists()


def test_idempotency_key_replays_the_response_byte_for_byte(device: APIClient) -> None:
    batch = [mutation("building", address="新垵村529号")]
    first = device.post("/api/v1/sync/push/", {"device_id": "d", "mutations": batch}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    again = device.post("/api/v1/sync/push/", {"device_id": "d", "mutations": batch}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert first.content == again.content
    other = device.post("/api/v1/sync/push/", {"device_id": "d", "mutations": []}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert other.status_code == 400


def test_person_with_same_id_number_from_two_devices_merges(device: APIClient, api_client: Any,
                                                            worker_of: Any) -> None:  # fmt: skip
    number = id_number()
    (a,) = push(device, mutation("person", name="陈伟", id_number=number))
    (b,) = push(api_client(worker_of("HC-XY-XA-01")), mutation("person", name="陳偉", id_number=number))
    assert b["status"] == "merged" and b["merged_into"] == a["id"]
