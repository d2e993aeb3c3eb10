"""Pull: a snapshot of the scope, then each change once in its latest state, with tombstones."""

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.registry.models import Building
from apps.territory.services import grid_assignment_create, grid_assignment_end
from tests.sync.conftest import XA, mutation, pull_all, push, shifted

# Pulls read only committed journal entries, so these tests commit (transactional database).
pytestmark = pytest.mark.django_db(transaction=True)

HH = (118.0550, 24.4350)


def ids(changes: list[dict[str, Any]], **match: Any) -> set[str]:
    return {c["id"] for c in changes if all(c.get(k) == v for k, v in match.items())}


def test_snapshot_pages_then_changes_in_latest_state(device: APIClient, collect_building: Any) -> None:
    made = [
        collect_building(point=shifted(XA, north_m=120 * n), address=f"新垵村{n}号").record for n in range(7)
    ]
    changes, cursor = pull_all(device, limit=3)
    assert ids(changes, type="building") == {str(b.pk) for b in made}
    snapshot_record = next(c for c in changes if c["id"] == str(made[0].pk))
    assert snapshot_record["geometry"]["type"] == "Point" and snapshot_record["data"]["grid"] == "HC-XY-XA-01"

    assert pull_all(device, cursor)[0] == []  # nothing new
    for floors in (2, 3, 4):
        version = made[0].version if floors == 2 else floors - 1
        push(
            device,
            mutation("building", "update", record_id=made[0].pk, base=version, point=None, floors=floors),
        )
    later, cursor = pull_all(device, cursor)
    assert [(c["id"], c["version"], c["data"]["floors"]) for c in later] == [(str(made[0].pk), 4, 4)]


def test_merged_tombstone_points_to_the_canonical_record(device: APIClient, api_client: Any, worker: User,
                                                         collect_building: Any, dispatcher_of: Any) -> None:  # fmt: skip
    a = collect_building(address="新垵村1号").record
    b = collect_building(point=shifted(XA, north_m=200), address="新垵村2号").record
    _, cursor = pull_all(device)
    dispatcher = api_client(dispatcher_of("HC-XY"))
    merged = dispatcher.post("/api/v1/registry/merges/", {"record_type": "building", "survivor_id": str(a.pk),
                                                           "merged_id": str(b.pk)}, format="json")  # fmt: skip
    assert merged.status_code == 201
    changes, _ = pull_all(device, cursor)
    stone = next(c for c in changes if c["id"] == str(b.pk))
    assert stone == {
        "type": "building",
        "id": str(b.pk),
        "deleted": True,
        "reason": "merged",
        "merged_into": str(a.pk),
    }
    assert next(c for c in changes if c["id"] == str(a.pk))["deleted"] is False


def test_unassigned_grid_sends_out_of_scope_and_new_grid_sends_its_records(
    device: APIClient,
    worker: User,
    collect_building: Any,
    collect_person: Any,
    worker_of: Any,
    territory: Any,
) -> None:
    building = collect_building().record
    person = collect_person(name="王芳").record
    colleague = worker_of("HC-SY-HH-01")
    elsewhere = collect_building(collector=colleague, point=HH, address="海虹社区8号").record
    first, cursor = pull_all(device)
    assert str(elsewhere.pk) not in ids(first)  # never another grid's record

    today = dt.date.today()  # noqa: DTZ011
    worker.grid_assignments.update(valid_from=today - dt.timedelta(days=30))
    grid_assignment_end(assignment=worker.grid_assignments.get(), valid_to=today - dt.timedelta(days=1))
    grid_assignment_create(worker=worker, grid=territory["HC-SY-HH-01"], valid_from=today)
    changes, cursor = pull_all(device, cursor)
    assert ids(changes, reason="out_of_scope", type="building") >= {str(building.pk)}
    assert ids(changes, reason="out_of_scope", type="person") >= {str(person.pk)}
    assert str(elsewhere.pk) in ids(changes, deleted=False)


def test_types_filter_and_limits(device: APIClient, collect_building: Any, collect_person: Any) -> None:
    collect_building()
    collect_person(name="王芳")
    people, _ = pull_all(device, types="person")
    assert {c["type"] for c in people} == {"person"}
    assert device.get("/api/v1/sync/pull/", {"types": "spaceship"}).status_code == 400
    assert device.get("/api/v1/sync/pull/", {"limit": 0}).status_code == 400


def test_foreign_or_forged_cursor_is_410(device: APIClient, api_client: Any, worker_of: Any) -> None:
    _, cursor = pull_all(device)
    other = api_client(worker_of("HC-XY-XA-01"))
    assert other.get("/api/v1/sync/pull/", {"cursor": cursor}).status_code == 410
    assert device.get("/api/v1/sync/pull/", {"cursor": cursor[:-3] + "abc"}).status_code == 410
    assert device.get("/api/v1/sync/pull/", {"cursor": "garbage"}).status_code == 410


def test_expired_cursor_is_410(device: APIClient, api_client: Any, worker: User) -> None:
    import time_machine
    from django.utils import timezone

    _, cursor = pull_all(device)
    with time_machine.travel(timezone.now() + dt.timedelta(days=61)):
        response = api_client(worker).get("/api/v1/sync/pull/", {"cursor": cursor})
    assert response.status_code == 410
    assert response["Content-Type"] == "application/problem+json"


def test_personal_numbers_in_own_grid_are_full(device: APIClient, collect_person: Any) -> None:
    from tests.sync.conftest import id_number

    number = id_number()
    collect_person(name="陈伟", id_number=number)
    (person,) = [c for c in pull_all(device)[0] if c["type"] == "person"]
    assert person["data"]["id_number"] == number


def test_grid_lost_during_a_snapshot_is_not_read_further(
    device: APIClient, worker_of: Any, territory: Any, collect_building: Any
) -> None:
    worker = worker_of("HC-XY-XA-01", "HC-XY-XA-02")
    client = APIClient()
    client.force_authenticate(worker)
    for n in range(3):
        collect_building(collector=worker, point=shifted(XA, north_m=120 * n), address=f"新垵村{n}号")
        collect_building(
            collector=worker, point=(118.0280 + 0.0003 * n, 24.4850), address=f"新垵村{n + 10}号"
        )
    first = client.get("/api/v1/sync/pull/", {"limit": 1, "types": "building"}).json()
    today = dt.date.today()  # noqa: DTZ011
    worker.grid_assignments.update(valid_from=today - dt.timedelta(days=30))
    lost = worker.grid_assignments.get(grid__code="HC-XY-XA-02")
    grid_assignment_end(assignment=lost, valid_to=today - dt.timedelta(days=1))
    rest, _ = pull_all(client, first["cursor"], types="building")
    lost_grid = territory["HC-XY-XA-02"]
    theirs = {str(pk) for pk in Building.objects.filter(grid=lost_grid).values_list("pk", flat=True)}
    assert len(theirs) == 3
    assert not ids(rest, deleted=False) & theirs  # nothing of the lost grid is sent after it was lost
    assert theirs <= ids(rest, reason="out_of_scope")  # and the device is told to drop all of them
