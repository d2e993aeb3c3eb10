"""Tasks: schedule rules make each task once per subject and period; visits complete them; overdue noticed once."""

import datetime as dt
import uuid
from typing import Any

import pytest

from apps.journal.models import JournalEntry
from apps.operations.models import ScheduleRule, Task, TaskNotice, TaskStatus
from apps.operations.services import (
    operations_periodic,
    schedule_rules_run,
    task_create,
    task_device_update,
    tasks_scan_overdue,
    visit_apply,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 16)


@pytest.fixture
def rules(territory: Any) -> list[ScheduleRule]:
    return [
        ScheduleRule.objects.create(name="独居老人月访", subject_type="person", tag="elderly_alone", period="monthly",
                                    task_kind="visit", title="独居老人走访"),
        ScheduleRule.objects.create(name="出租屋季检", subject_type="building", tag="rental", period="quarterly",
                                    task_kind="inspect", title="出租屋检查", territory=territory["HC-XY"]),
    ]  # fmt: skip


def test_schedules_run_twice_make_no_duplicate_tasks(rules: Any, person_in: Any, building_in: Any) -> None:
    elderly = [person_in(tags=["elderly_alone"]) for _ in range(3)]
    person_in(tags=["veteran"])
    rental = building_in()
    building_in(code="HC-SY-HH-01")  # outside the rule's territory
    assert schedule_rules_run(today=DAY) == 4
    assert schedule_rules_run(today=DAY) == 0
    assert schedule_rules_run(today=DAY + dt.timedelta(days=3)) == 0  # same month, same quarter
    tasks = Task.objects.order_by("subject_type")
    assert {(t.subject_type, t.subject_id) for t in tasks} == {("person", p.pk) for p in elderly} | {
        ("building", rental.pk)
    }
    assert {t.due for t in tasks} == {dt.date(2026, 11, 30), dt.date(2026, 12, 31)}
    assert JournalEntry.objects.filter(record_type="task").count() == 4
    assert (
        schedule_rules_run(today=dt.date(2026, 12, 1)) == 3
    )  # a new month: the people again, not the building


def test_a_visit_done_completes_its_task(rules: Any, person_in: Any, worker: Any) -> None:
    person = person_in(tags=["elderly_alone"])
    schedule_rules_run(today=DAY)
    task = Task.objects.get()
    outcome = visit_apply(principal=worker, record_id=uuid.uuid4(), op="create", data={
        "kind": "care", "person_ids": [str(person.pk)], "started_at": "2026-11-16T10:00:00+08:00",
        "outcome": "done", "task_id": str(task.pk)})  # fmt: skip
    assert outcome.status == "applied", outcome.errors
    task.refresh_from_db()
    assert (task.status, task.completed_by_id, task.version) == (TaskStatus.DONE, outcome.id, 2)


def test_a_visit_nobody_home_leaves_the_task_open(rules: Any, person_in: Any, worker: Any) -> None:
    person_in(tags=["elderly_alone"])
    schedule_rules_run(today=DAY)
    task = Task.objects.get()
    visit_apply(principal=worker, record_id=uuid.uuid4(), op="create", data={
        "started_at": "2026-11-16T10:00:00+08:00", "outcome": "nobody_home", "task_id": str(task.pk)})  # fmt: skip
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_overdue_tasks_are_marked_and_noticed_once_to_the_grids_dispatcher(
    rules: Any, person_in: Any, dispatcher_of: Any
) -> None:
    community, subdistrict = dispatcher_of("HC-XY-XA"), dispatcher_of("HC-XY")
    person_in(tags=["elderly_alone"])
    schedule_rules_run(today=DAY)
    assert tasks_scan_overdue(today=dt.date(2026, 11, 30)).marked == 0  # due that day: not yet late
    first = tasks_scan_overdue(today=dt.date(2026, 12, 1))
    second = tasks_scan_overdue(today=dt.date(2026, 12, 2))
    assert (first.marked, first.noticed, second.marked, second.noticed) == (1, 1, 0, 0)
    notice = TaskNotice.objects.get()
    assert notice.recipient == community  # the deepest dispatcher over the grid, not the subdistrict's
    assert subdistrict.pk != notice.recipient_id
    assert Task.objects.get().overdue


def test_the_periodic_run_does_both(rules: Any, person_in: Any, dispatcher_of: Any) -> None:
    dispatcher_of("HC-XY")
    person_in(tags=["elderly_alone"])
    assert operations_periodic(today=DAY) == {"created": 1, "followed_up": 0, "overdue": 0, "noticed": 0}
    assert operations_periodic(today=dt.date(2026, 12, 1))["noticed"] == 1


def test_a_device_accepts_then_closes_a_task_unable_with_a_reason(
    rules: Any, person_in: Any, worker: Any, dispatcher_of: Any
) -> None:
    person = person_in()
    task = task_create(actor=dispatcher_of("HC-XY"), kind="verify", title="核查", due=DAY, subject_type="person",
                       subject_id=person.pk)  # fmt: skip
    accepted = task_device_update(principal=worker, record_id=task.pk, data={"status": "accepted"})
    assert (accepted.status, accepted.version) == ("applied", 2)
    no_reason = task_device_update(principal=worker, record_id=task.pk, data={"status": "unable"})
    assert "note" in no_reason.errors["data"]
    closed = task_device_update(
        principal=worker, record_id=task.pk, data={"status": "unable", "note": "已搬走"}
    )
    assert closed.version == 3
    reopened = task_device_update(principal=worker, record_id=task.pk, data={"status": "accepted"})
    assert reopened.status == "rejected"


def test_a_worker_of_another_grid_cannot_update_the_task(
    person_in: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    task = task_create(actor=dispatcher_of("HC-XY"), kind="visit", title="走访", due=DAY, subject_type="person",
                       subject_id=person_in().pk)  # fmt: skip
    outcome = task_device_update(
        principal=worker_of("HC-SY-HH-01"), record_id=task.pk, data={"status": "done"}
    )
    assert outcome.status == "rejected"
    assert "id" in outcome.errors
