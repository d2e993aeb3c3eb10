"""Pull of organisations, employments, alerts, patrols, visits, tasks and patrol points: a snapshot, then
changes, then tombstones when the worker's grid leaves the scope (their own patrols and visits stay)."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.operations.services import patrol_point_create, patrol_point_update, task_create
from apps.registry.models import Person
from apps.registry.organisations.alerts import alert_acknowledge, watch_rule_create
from apps.registry.organisations.models import Alert, AlertKind
from apps.registry.services import residence_collect
from apps.territory.services import grid_assignment_create, grid_assignment_end
from tests.operations.conftest import ORIGIN, START, walk
from tests.registry.conftest import id_number
from tests.sync.conftest import XA, mutation, pull_all, push, settle

pytestmark = pytest.mark.django_db(transaction=True)

REGISTRY = "organisation,employment,alert"
OPERATIONS = "patrol,visit,task,patrol_point"


def _sent(record_type: str, op: str = "create", *, record_id: Any = None, base: int | None = None,
          point: Any = None, **data: Any) -> dict[str, Any]:  # fmt: skip
    sent = mutation(record_type, op, record_id=record_id, base=base, point=point)
    sent["data"] = data
    return sent


def _by_type(changes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        grouped.setdefault(change["type"], []).append(change)
    return grouped


def _move_worker(worker: User, territory: Any) -> None:
    today = dt.date.today()  # noqa: DTZ011
    worker.grid_assignments.update(valid_from=today - dt.timedelta(days=30))
    grid_assignment_end(assignment=worker.grid_assignments.get(), valid_to=today - dt.timedelta(days=1))
    grid_assignment_create(worker=worker, grid=territory["HC-SY-HH-01"], valid_from=today)


def test_organisations_employments_and_alerts(
    device: APIClient, worker: User, territory: Any, department: Callable[..., Any], admin_user: User,
    collect_building: Any, collect_person: Any,
) -> None:  # fmt: skip
    (shop,) = push(
        device, _sent("organisation", point=XA, name="新垵便利店", kind="individual", phone="13800000000")
    )
    person = Person.objects.create(name="林某", name_key="lin mou", grid=territory["HC-XY-XA-01"],
                                   location=Point(*XA, srid=4326))  # fmt: skip
    (job,) = push(
        device, _sent("employment", person_id=str(person.pk), organisation_id=shop["id"], role="店员")
    )
    watch_rule_create(
        department=department(code="HC-GA-XY-T", name="新阳派出所"), nodes=[territory["HC-XY"]], actor=admin_user,
        name="社区矫正对象", tags=["community_correction"], kinds=[AlertKind.ARRIVAL], purpose="人来预警",
    )  # fmt: skip
    watched = collect_person(
        name="黄明", id_number=id_number(seq="555"), tags=["community_correction"]
    ).record
    residence_collect(person=watched, building=collect_building().record, room="302", relation="tenant")
    alert = Alert.objects.get()
    settle()

    snapshot, cursor = pull_all(device, types=REGISTRY)
    got = _by_type(snapshot)
    assert [c["id"] for c in got["organisation"]] == [shop["id"]]
    assert got["organisation"][0]["data"]["phone"] == "13800000000"
    assert got["organisation"][0]["data"]["grid"] == "HC-XY-XA-01"
    assert [(c["id"], c["data"]["role"]) for c in got["employment"]] == [(job["id"], "店员")]
    assert [(c["id"], c["data"]["status"], c["data"]["person_id"]) for c in got["alert"]] == [
        (str(alert.pk), "open", str(watched.pk))
    ]

    push(device, _sent("organisation", "update", record_id=shop["id"], base=1, staff=5))
    push(device, _sent("employment", "delete", record_id=job["id"], base=1))
    alert_acknowledge(alert=alert, principal=worker)
    settle()
    changes, cursor = pull_all(device, cursor, types=REGISTRY)
    got = _by_type(changes)
    assert [(c["version"], c["data"]["staff"]) for c in got["organisation"]] == [(2, 5)]
    assert got["employment"][0]["data"]["until"] is not None
    assert [c["data"]["status"] for c in got["alert"]] == ["acknowledged"]

    _move_worker(worker, territory)
    stones, _ = pull_all(device, cursor, types=REGISTRY)
    assert {(c["type"], c["id"]) for c in stones if c.get("reason") == "out_of_scope"} == {
        ("organisation", shop["id"]), ("employment", job["id"]), ("alert", str(alert.pk)),
    }  # fmt: skip


def test_patrols_visits_tasks_and_patrol_points(
    device: APIClient, worker: User, territory: Any, dispatcher_of: Callable[..., User],
    worker_of: Callable[..., User], api_client: Callable[[Any], APIClient],
) -> None:  # fmt: skip
    dispatcher = dispatcher_of("HC-XY")
    person = Person.objects.create(name="林某", name_key="lin mou", grid=territory["HC-XY-XA-01"],
                                   location=Point(*XA, srid=4326))  # fmt: skip
    task = task_create(actor=dispatcher, kind="visit", title="走访", due=dt.date(2026, 12, 1), subject_type="person",
                       subject_id=person.pk)  # fmt: skip
    point = patrol_point_create(actor=dispatcher, grid_code="HC-XY-XA-01", name="村口",
                                location=Point(*ORIGIN, srid=4326), radius_m=30, methods=["gps"])  # fmt: skip
    (patrol,) = push(device, _sent("patrol", kind="routine", started_at=START.isoformat(), points=walk(5)))
    (visit,) = push(device, _sent("visit", kind="routine", started_at=START.isoformat(), outcome="nobody_home",
                                  person_ids=[str(person.pk)]))  # fmt: skip
    colleague = api_client(worker_of("HC-XY-XA-01"))
    (theirs,) = push(colleague, _sent("patrol", kind="night", started_at=START.isoformat(), points=walk(5)))
    settle()

    snapshot, cursor = pull_all(device, types=OPERATIONS)
    got = _by_type(snapshot)
    assert [c["id"] for c in got["patrol"]] == [patrol["id"]]  # their own, not the colleague's
    assert got["patrol"][0]["data"]["fix_count"] == 5
    assert [(c["id"], c["data"]["outcome"]) for c in got["visit"]] == [(visit["id"], "nobody_home")]
    assert [(c["id"], c["data"]["subject"]) for c in got["task"]] == [
        (str(task.pk), {"type": "person", "id": str(person.pk)})
    ]
    assert [(c["id"], c["data"]["name"]) for c in got["patrol_point"]] == [(str(point.pk), "村口")]

    push(device, _sent("task", "update", record_id=task.pk, status="accepted"))
    push(device, _sent("patrol", "update", record_id=patrol["id"], points=walk(5, start_seq=5)))
    push(colleague, _sent("patrol", "update", record_id=theirs["id"], points=walk(5, start_seq=5)))
    patrol_point_update(point=point, actor=dispatcher, changes={"name": "新村口"})
    settle()
    changes, cursor = pull_all(device, cursor, types=OPERATIONS)
    got = _by_type(changes)
    assert [(c["version"], c["data"]["status"]) for c in got["task"]] == [(2, "accepted")]
    assert [c["data"]["name"] for c in got["patrol_point"]] == ["新村口"]
    assert [c["data"]["fix_count"] for c in got["patrol"] if not c["deleted"]] == [10]
    assert theirs["id"] not in {c["id"] for c in got["patrol"] if not c["deleted"]}

    _move_worker(worker, territory)
    stones, _ = pull_all(device, cursor, types=OPERATIONS)
    assert {(c["type"], c["id"]) for c in stones if c.get("reason") == "out_of_scope"} == {
        ("task", str(task.pk)), ("patrol_point", str(point.pk)),
    }  # fmt: skip
    again, _ = pull_all(device, types=OPERATIONS)  # their own patrols and visits follow them
    assert {c["id"] for c in again} == {patrol["id"], visit["id"]}
