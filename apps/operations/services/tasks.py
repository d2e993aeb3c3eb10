"""Tasks (走访/核查任务): made by dispatchers and by schedule rules, updated from devices, completed by visits,
marked overdue and noticed to the grid's dispatchers — each exactly once, however often a run repeats."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.bulk import bound_cursor
from apps.core.principals import Principal
from apps.core.visibility import visible, visible_get
from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry, journal_record

from ..inputs import TaskDeviceUpdateSerializer
from ..models import OPEN_TASK_STATUSES, Period, ScheduleRule, Task, TaskSource, TaskStatus, Visit
from ..subjects import subject_kind
from .alert_tasks import tasks_open_for_recent_alerts
from .common import Outcome, error_dict, validated

TASK = "task"


def _journal(task: Task, change: str, fields: list[str], actor: Any = None) -> None:
    journal_record(record_type=TASK, record_id=task.pk, change=change, version=task.version, grid_id=task.grid_id,
                   fields=fields, actor=actor)  # fmt: skip


@transaction.atomic
def task_create(
    *, actor: Principal | Any, kind: str, title: str, due: dt.date, subject_type: str, subject_id: uuid.UUID,
    note: str = "",
) -> Task:  # fmt: skip
    """A dispatcher asks the workers of the subject's grid to visit or verify it by ``due``."""
    subject = subject_kind(subject_type)
    if subject is None:
        raise ValidationError({"subject_type": [_("Unknown subject type.")]})
    record = visible_get(subject.model, actor, subject_id)
    grid_id = getattr(record, "grid_id", None)
    if record is None or grid_id is None:
        raise ValidationError(
            {"subject_id": [_("No such record among those you may see, or it lies in no grid.")]}
        )
    task = Task.objects.create(
        kind=kind, title=title, due=due, subject_type=subject_type, subject_id=record.pk, grid_id=grid_id, note=note,
        source=TaskSource.DISPATCHER, created_by_id=actor.pk,
    )  # fmt: skip
    _journal(task, Change.CREATED, ["kind", "title", "due", "subject", "grid"], actor)
    return task


@transaction.atomic
def task_cancel(*, task: Task, actor: Principal | Any) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError({"status": [_("Only an open task can be cancelled.")]})
    task.status, task.closed_at, task.version = TaskStatus.CANCELLED, timezone.now(), task.version + 1
    task.save(update_fields=["status", "closed_at", "version", "updated_at"])
    _journal(task, Change.UPDATED, ["status"], actor)
    return task


def task_device_update(
    *, principal: Principal | Any, record_id: Any, data: Any, collected_at: dt.datetime | None = None,
    device: str = "",
) -> Outcome:  # fmt: skip
    """A device accepts a task, or closes it ``done`` or ``unable`` (with a reason). Repeating the status a task
    already has changes nothing; a closed task is not reopened."""
    try:
        return _device_update(principal, record_id, data)
    except ValidationError as exc:
        return Outcome.rejected(error_dict(exc))


@transaction.atomic
def _device_update(principal: Any, record_id: Any, data: Any) -> Outcome:
    values = validated(TaskDeviceUpdateSerializer, data)
    task = visible_get(Task, principal, record_id, visible(Task, principal).select_for_update())
    if task is None:
        raise ValidationError({"id": [_("No such task among yours.")]})
    status = values["status"]
    if task.status == status or (task.status == TaskStatus.DONE and status == TaskStatus.ACCEPTED):
        return Outcome.applied(task)
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError({"data": {"status": [_("This task is closed already.")]}})
    task.status, task.note = status, values["note"] or task.note
    if status == TaskStatus.ACCEPTED:
        task.accepted_by = principal
    else:
        task.closed_at = timezone.now()
    task.version += 1
    task.save()
    _journal(task, Change.UPDATED, ["status", "note"], principal)
    return Outcome.applied(task)


def task_complete_by_visit(*, task: Task, visit: Visit, actor: Any) -> bool:
    """Inside the visit's transaction: a visit with outcome ``done`` completes the open task it names."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status not in OPEN_TASK_STATUSES:
        return False
    task.status, task.completed_by, task.closed_at = TaskStatus.DONE, visit, timezone.now()
    task.version += 1
    task.save(update_fields=["status", "completed_by", "closed_at", "version", "updated_at"])
    _journal(task, Change.UPDATED, ["status", "completed_by"], actor)
    return True


def period_of(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the period (week from Monday, month, quarter) containing ``day``."""
    if period == Period.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    months = 1 if period == Period.MONTHLY else 3
    start = day.replace(month=day.month - (day.month - 1) % months, day=1)
    index = start.year * 12 + start.month - 1 + months
    return start, dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)


TASK_INSERT = """
INSERT INTO operations_task (id, created_at, updated_at, version, kind, title, due, subject_type, subject_id,
                             grid_id, status, note, source, rule_id, period_start, overdue)
SELECT gen_random_uuid(), now(), now(), 1, %(kind)s, %(title)s, %(due)s, %(subject_type)s, s.subject_id,
       s.grid_id, 'open', '', 'schedule', %(rule)s, %(start)s, false
FROM unnest(%(subjects)s::uuid[], %(grids)s::uuid[]) AS s(subject_id, grid_id)
ON CONFLICT (rule_id, subject_type, subject_id, period_start) WHERE rule_id IS NOT NULL DO NOTHING
RETURNING id, grid_id
"""


@transaction.atomic
def schedule_rules_run(*, today: dt.date | None = None) -> int:
    """Make this period's task for every subject of every active rule that has none yet (one INSERT per rule;
    the unique constraint on rule, subject and period makes a second run — or a concurrent one — a no-op)."""
    day = today or timezone.localdate()
    made: list[JournalEntry] = []
    for rule in ScheduleRule.objects.filter(active=True).select_related("territory"):
        kind = subject_kind(rule.subject_type)
        if kind is None:  # a kind not recorded in this deployment (yet)
            continue
        start, end = period_of(rule.period, day)
        subjects = list(kind.tagged(rule.tag, rule.territory).values_list("pk", "grid_id"))
        if not subjects:
            continue
        with bound_cursor() as cursor:
            cursor.execute(TASK_INSERT, {
                "kind": rule.task_kind, "title": rule.title, "due": end, "subject_type": rule.subject_type,
                "rule": rule.pk, "start": start, "subjects": [s for s, _ in subjects], "grids": [g for _, g in subjects],
            })  # fmt: skip
            made += [journal_entry(record_type=TASK, record_id=task_id, change=Change.CREATED, version=1,
                                   grid_id=grid_id, fields=["kind", "title", "due", "subject", "grid"])
                     for task_id, grid_id in cursor.fetchall()]  # fmt: skip
    JournalEntry.objects.bulk_create(made)
    return len(made)


OVERDUE_UPDATE = """
UPDATE operations_task SET overdue = true, version = version + 1, updated_at = now()
WHERE status IN ('open', 'accepted') AND NOT overdue AND due < %(today)s
RETURNING id, grid_id, version
"""

# The dispatchers of a grid: those whose territory is the deepest one above it that has any.
NOTICE_INSERT = """
INSERT INTO operations_tasknotice (id, created_at, updated_at, task_id, recipient_id, kind, read_at)
SELECT gen_random_uuid(), now(), now(), t.id, d.id, 'overdue', NULL
FROM operations_task t JOIN territory_territorynode g ON g.id = t.grid_id
CROSS JOIN LATERAL (
    SELECT u.id FROM accounts_user u JOIN territory_territorynode n ON n.id = u.territory_id
    WHERE u.role = 'dispatcher' AND u.is_active AND g.path LIKE n.path || '%%'
      AND length(n.path) = (
          SELECT max(length(n2.path)) FROM accounts_user u2 JOIN territory_territorynode n2 ON n2.id = u2.territory_id
          WHERE u2.role = 'dispatcher' AND u2.is_active AND g.path LIKE n2.path || '%%')
) d
WHERE t.id = ANY(%(tasks)s::uuid[])
ON CONFLICT (task_id, recipient_id, kind) DO NOTHING
"""


@dataclass(frozen=True)
class OverdueScan:
    marked: int
    noticed: int


@transaction.atomic
def tasks_scan_overdue(*, today: dt.date | None = None) -> OverdueScan:
    """Mark open tasks past their due date overdue and notice each once to its grid's dispatchers.

    The mark is one conditional UPDATE (``NOT overdue``): two scans at once mark, journal and notice a task
    once; the notices' unique constraint is a second guard."""
    with bound_cursor() as cursor:
        cursor.execute(OVERDUE_UPDATE, {"today": today or timezone.localdate()})
        marked = cursor.fetchall()
        if not marked:
            return OverdueScan(0, 0)
        cursor.execute(NOTICE_INSERT, {"tasks": [task_id for task_id, _, _ in marked]})
        noticed = int(cursor.rowcount)
    JournalEntry.objects.bulk_create([
        journal_entry(record_type=TASK, record_id=task_id, change=Change.UPDATED, version=version, grid_id=grid_id,
                      fields=["overdue"])
        for task_id, grid_id, version in marked
    ])  # fmt: skip
    return OverdueScan(len(marked), noticed)


def operations_periodic(*, today: dt.date | None = None) -> dict[str, int]:
    """The periodic run (Celery beat): this period's scheduled tasks, the follow-ups of recent watch alerts that
    a lost enqueue left unopened, then the overdue scan."""
    created = schedule_rules_run(today=today)
    followed_up = tasks_open_for_recent_alerts()
    scan = tasks_scan_overdue(today=today)
    return {"created": created, "followed_up": followed_up, "overdue": scan.marked, "noticed": scan.noticed}
