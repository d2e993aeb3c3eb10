"""Patrols, visits and tasks pushed from a device: applied, replayed, rejected with field errors."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.operations.models import Patrol, PatrolFix, Task, TaskStatus, Visit
from apps.operations.services import task_create
from tests.operations.conftest import START, building_in, person_in, walk
from tests.sync.conftest import mutation, push

__all__ = ["building_in", "person_in"]

pytestmark = pytest.mark.django_db


def _op(record_type: str, op: str = "create", *, record_id: Any = None, **data: Any) -> dict[str, Any]:
    sent = mutation(record_type, op, record_id=record_id, point=None)
    sent["data"] = data  # ``kind`` is a field of these records
    return sent


def test_a_patrol_is_created_then_chunks_appended_once(device: APIClient, worker: User) -> None:
    create = _op("patrol", kind="routine", started_at=START.isoformat(), points=walk(20))
    (made,) = push(device, create)
    assert made["status"] == "applied"
    chunk = _op("patrol", "update", record_id=made["id"], points=walk(20, start_seq=20))
    (appended,) = push(device, chunk)
    assert appended["status"] == "applied" and appended["version"] == 2
    assert push(device, chunk) == [appended]  # replayed
    resent = _op("patrol", "update", record_id=made["id"], points=walk(20, start_seq=20))
    push(device, resent)  # the same chunk under another mutation id: stored once
    assert PatrolFix.objects.filter(patrol_id=made["id"]).count() == 40
    assert Patrol.objects.get(pk=made["id"]).worker_id == worker.pk


def test_bad_patrols_are_rejected(device: APIClient, api_client: Callable[[Any], APIClient],
                                  worker_of: Callable[..., User]) -> None:  # fmt: skip
    (made,) = push(device, _op("patrol", kind="routine", started_at=START.isoformat(), points=walk(3)))
    colleague = api_client(worker_of("HC-XY-XA-01"))
    results = push(
        colleague,
        _op("patrol", kind="spaceship", started_at=START.isoformat()),
        _op("patrol", "update", record_id=made["id"], points=walk(3, start_seq=3)),  # another's patrol
        _op("patrol", "delete", record_id=made["id"]),
    )
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "kind" in str(results[0]["errors"]) and results[1]["errors"] and "op" in results[2]["errors"]
    assert PatrolFix.objects.count() == 3


def test_a_visit_is_applied_and_checked_through_the_gate(
    device: APIClient, building_in: Any, person_in: Any
) -> None:
    mine, hidden = building_in(), building_in("HC-SY-HH-01")
    started = START.isoformat()
    sent = _op("visit", kind="routine", building_id=str(mine.pk), started_at=started, outcome="done",
               person_ids=[str(person_in().pk)])  # fmt: skip
    (applied,) = push(device, sent)
    assert applied["status"] == "applied"
    assert push(device, sent) == [applied]
    (updated,) = push(device, _op("visit", "update", record_id=applied["id"], notes="再访"))
    assert updated["version"] == 2 and Visit.objects.get(pk=applied["id"]).notes == "再访"
    rejected = push(
        device,
        _op("visit", building_id=str(hidden.pk), started_at=started, outcome="done"),
        _op("visit", started_at=started, outcome="done", person_ids=[str(person_in("HC-SY-HH-01").pk)]),
        _op("visit", started_at=started),
    )
    assert [r["status"] for r in rejected] == ["rejected"] * 3
    assert "building_id" in rejected[0]["errors"]["data"] and "person_ids" in rejected[1]["errors"]["data"]
    assert "outcome" in str(rejected[2]["errors"])
    assert Visit.objects.count() == 1


def test_a_task_is_only_updated_from_a_device(
    device: APIClient, person_in: Any, dispatcher_of: Callable[..., User], api_client: Callable[[Any], APIClient],
    worker_of: Callable[..., User],
) -> None:  # fmt: skip
    task = task_create(actor=dispatcher_of("HC-XY"), kind="visit", title="走访", due=dt.date(2026, 12, 1),
                       subject_type="person", subject_id=person_in().pk)  # fmt: skip
    accept = _op("task", "update", record_id=task.pk, status="accepted")
    (accepted,) = push(device, accept)
    assert (accepted["status"], accepted["version"]) == ("applied", 2)
    assert push(device, accept) == [accepted]
    (created,) = push(device, _op("task", title="自建"))
    assert created["status"] == "rejected" and "op" in created["errors"]
    (foreign,) = push(
        api_client(worker_of("HC-SY-HH-01")), _op("task", "update", record_id=task.pk, status="done")
    )
    assert foreign["status"] == "rejected" and "id" in foreign["errors"]
    (bad,) = push(device, _op("task", "update", record_id=task.pk, status="lost"))
    assert bad["status"] == "rejected"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTED
