"""Watch alerts open follow-up tasks (人来预警 → 走访, 人走提醒 → 核查): one per move whatever the rules, replays
and runs; enqueued after the raising transaction commits and run by a real Celery worker; caught up by the
periodic run when the enqueue was lost; done by the grid's worker with a visit."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from apps.journal.models import JournalEntry
from apps.operations.models import Task, TaskStatus
from apps.operations.pull import PULL_SOURCES
from apps.operations.services import operations_periodic, tasks_open_for_alerts, visit_apply
from apps.registry.models import Residence
from apps.registry.organisations.alerts import watch_rule_create
from apps.registry.organisations.models import Alert, AlertKind
from apps.registry.services import residence_collect, residence_end
from tests.live import celery_worker, wait_until
from tests.registry.conftest import collect_building, collect_person, id_number

__all__ = ["collect_building", "collect_person"]

pytestmark = pytest.mark.django_db
WATCHED = "community_correction"
DAY = dt.date(2026, 11, 16)


@pytest.fixture
def rule_for(
    department: Callable[..., Any], territory: dict[str, Any], admin_user: Any
) -> Callable[..., Any]:
    def make(code: str, node: str = "HC-XY") -> Any:
        return watch_rule_create(
            department=department(code=code, name=code), nodes=[territory[node]], actor=admin_user,
            name=f"{code} 社区矫正", tags=[WATCHED], kinds=[AlertKind.ARRIVAL, AlertKind.DEPARTURE],
            purpose="社区矫正对象人来预警、人走提醒",
        )  # fmt: skip

    return make


@pytest.fixture
def watched(collect_building: Any, collect_person: Any) -> tuple[Any, Any]:
    building = collect_building().record
    person = collect_person(name="黄明", id_number=id_number(seq="555"), tags=[WATCHED]).record
    return person, building


def test_an_arrival_opens_one_visit_of_the_person_for_the_grids_workers(
    rule_for: Any, watched: tuple[Any, Any], api_client: Any, worker_of: Any
) -> None:
    rule_for("HC-GA-XY-T")
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    alert = Alert.objects.get()
    assert tasks_open_for_alerts(alert_ids=[alert.pk], today=DAY) == 1
    for _ in range(3):  # replayed: the enqueue, a retry, the periodic run
        assert tasks_open_for_alerts(alert_ids=[alert.pk], today=DAY) == 0
        residence_collect(person=person, building=building, room="302", relation="tenant")
    task = Task.objects.get()
    assert (task.source, task.kind, task.subject_type, task.subject_id) == (
        "alert",
        "visit",
        "person",
        person.pk,
    )
    assert (task.grid_id, task.alert_id, task.status) == (building.grid_id, alert.pk, TaskStatus.OPEN)
    assert task.due == DAY + dt.timedelta(days=3)
    assert WATCHED not in task.title  # the tag is the alert's, told only to those it is granted to
    assert JournalEntry.objects.filter(record_type="task", record_id=task.pk, change="created").count() == 1
    pulled = PULL_SOURCES["task"].envelopes([str(task.pk)], {})[str(task.pk)]["data"]
    assert (pulled["source"], pulled["alert_id"], pulled["subject"]["id"]) == (
        "alert",
        str(alert.pk),
        str(person.pk),
    )
    listed = api_client(worker_of("HC-XY-XA-01")).get("/api/v1/tasks/").json()["results"]
    assert [(t["id"], t["source"], t["subject"]["id"]) for t in listed] == [
        (str(task.pk), "alert", str(person.pk))
    ]
    assert api_client(worker_of("HC-SY-HH-01")).get(f"/api/v1/tasks/{task.pk}/").status_code == 404


def test_the_alerts_of_one_move_from_several_rules_open_one_task(
    rule_for: Any, watched: tuple[Any, Any]
) -> None:
    rule_for("HC-GA-XY-T")
    rule_for("HC-SF-XY-T", node="350205")  # another department, over the whole district
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    alerts = list(Alert.objects.values_list("pk", flat=True))
    assert len(alerts) == 2
    assert tasks_open_for_alerts(alert_ids=alerts[:1]) + tasks_open_for_alerts(alert_ids=alerts) == 1
    assert Task.objects.get().alert_id in alerts


def test_a_departure_opens_a_check_at_the_home_left(rule_for: Any, watched: tuple[Any, Any]) -> None:
    rule_for("HC-GA-XY-T")
    person, building = watched
    residence, _ = residence_collect(person=person, building=building, room="302", relation="tenant")
    residence_end(residence=residence, until=DAY)
    assert tasks_open_for_alerts(alert_ids=Alert.objects.values_list("pk", flat=True)) == 2
    departure = Task.objects.get(alert__kind=AlertKind.DEPARTURE)
    assert (departure.kind, departure.subject_type, departure.subject_id) == (
        "verify",
        "building",
        building.pk,
    )
    assert departure.grid_id == building.grid_id


def test_the_periodic_run_opens_what_a_lost_enqueue_left(
    rule_for: Any, watched: tuple[Any, Any], django_capture_on_commit_callbacks: Any
) -> None:
    rule_for("HC-GA-XY-T")
    person, building = watched
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        residence_collect(person=person, building=building, room="302", relation="tenant")
    assert len(callbacks) == 1  # the enqueue, after commit (here never run: as if the broker were away)
    assert not Task.objects.exists()
    assert operations_periodic(today=DAY)["followed_up"] == 1
    assert operations_periodic(today=DAY)["followed_up"] == 0
    assert Task.objects.get().alert_id == Alert.objects.get().pk


def test_no_alert_no_task(rule_for: Any, collect_building: Any, collect_person: Any) -> None:
    rule_for("HC-GA-XY-T")
    person = collect_person(name="李四", id_number=id_number(seq="556")).record  # no watched tag
    residence_collect(person=person, building=collect_building().record, room="1", relation="tenant")
    assert operations_periodic(today=DAY)["followed_up"] == 0 and not Task.objects.exists()


def test_the_grids_worker_completes_the_follow_up_with_a_visit(
    rule_for: Any, watched: tuple[Any, Any], worker_of: Any
) -> None:
    rule_for("HC-GA-XY-T")
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    tasks_open_for_alerts(alert_ids=Alert.objects.values_list("pk", flat=True))
    task = Task.objects.get()
    outcome = visit_apply(principal=worker_of("HC-XY-XA-01"), record_id=uuid.uuid4(), op="create", data={
        "kind": "key_person", "building_id": str(building.pk), "person_ids": [str(person.pk)],
        "started_at": "2026-11-16T10:00:00+08:00", "outcome": "done", "task_id": str(task.pk)})  # fmt: skip
    assert outcome.status == "applied", outcome.errors
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_opens_the_follow_up_after_the_arrival_commits(
    rule_for: Any, watched: tuple[Any, Any]
) -> None:
    rule_for("HC-GA-XY-T")
    person, building = watched
    with celery_worker():
        residence_collect(person=person, building=building, room="302", relation="tenant")
        assert wait_until(lambda: Task.objects.filter(source="alert").exists(), timeout=60)
    task = Task.objects.get()
    assert (task.subject_id, task.alert_id) == (person.pk, Alert.objects.get().pk)
    assert Residence.objects.get().person_id == person.pk
