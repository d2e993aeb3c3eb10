"""Follow-up tasks of watch alerts (人来预警/人走提醒): each arrival or departure a rule raised an alert of
opens one task for the workers of the alert's grid.

An arrival asks for a visit of the person (now living in the grid); a departure asks to verify, at the home
they left, that they left. The alerts of one move (several rules may watch one person) open one task between
them. The alert row is the outbox: the transaction that raises alerts enqueues ``open_alert_tasks`` after it
commits, and the periodic run opens what a lost enqueue or a stopped worker left (alerts of the last
``SWEEP_DAYS``). Opening is idempotent: it is serialised on one advisory lock and skips moves that have a task
(the unique alert of a task is a second guard), so replays, retries and concurrent runs open each task once.
"""

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.bulk import bound_cursor
from apps.core.locks import advisory_xact_lock
from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry
from apps.registry.organisations.models import Alert

from ..models import TaskKind, TaskSource

TASK = "task"
SWEEP_DAYS = 7

_OPEN = """
INSERT INTO operations_task (id, created_at, updated_at, version, kind, title, due, subject_type, subject_id,
                             grid_id, status, note, source, alert_id, overdue)
SELECT DISTINCT ON (a.residence_id, a.kind)
       gen_random_uuid(), now(), now(), 1,
       CASE a.kind WHEN 'arrival' THEN %(visit)s ELSE %(verify)s END,
       CASE a.kind WHEN 'arrival' THEN %(arrival_title)s ELSE %(departure_title)s END,
       %(due)s,
       CASE a.kind WHEN 'arrival' THEN 'person' ELSE 'building' END,
       CASE a.kind WHEN 'arrival' THEN a.person_id ELSE a.building_id END,
       a.grid_id, 'open', '', %(source)s, a.id, false
FROM registry_alert a
WHERE (a.id = ANY(%(ids)s::uuid[]) OR a.created_at >= %(since)s)
  AND NOT EXISTS (
      SELECT 1 FROM registry_alert b JOIN operations_task t ON t.alert_id = b.id
      WHERE b.residence_id = a.residence_id AND b.kind = a.kind)
ORDER BY a.residence_id, a.kind, a.created_at, a.id
ON CONFLICT (alert_id) WHERE alert_id IS NOT NULL DO NOTHING
RETURNING id, grid_id
"""


@transaction.atomic
def tasks_open_for_alerts(
    *,
    alert_ids: Iterable[uuid.UUID | str] = (),
    since: dt.datetime | None = None,
    today: dt.date | None = None,
) -> int:
    """Open the follow-up task of each move among ``alert_ids`` (and of alerts raised since ``since``) that has
    none yet; journalled, so the grid's devices pull it. Returns how many were opened."""
    ids = [str(pk) for pk in alert_ids]
    if not ids and since is None:
        return 0
    advisory_xact_lock([("alert-tasks", "open")])
    due = (today or timezone.localdate()) + dt.timedelta(days=settings.GRIDAPI_ALERT_TASK_DUE_DAYS)
    with bound_cursor() as cursor:
        cursor.execute(_OPEN, {
            "ids": ids, "since": since, "due": due, "source": TaskSource.ALERT, "visit": TaskKind.VISIT,
            "verify": TaskKind.VERIFY, "arrival_title": _("Follow-up visit: a watched person moved in"),
            "departure_title": _("Follow-up check: a watched person moved out"),
        })  # fmt: skip
        opened = cursor.fetchall()
    JournalEntry.objects.bulk_create([
        journal_entry(record_type=TASK, record_id=task_id, change=Change.CREATED, version=1, grid_id=grid_id,
                      fields=["kind", "title", "due", "subject", "grid"])
        for task_id, grid_id in opened
    ])  # fmt: skip
    return len(opened)


def tasks_open_for_recent_alerts() -> int:
    """The periodic catch-up: alerts of the last ``SWEEP_DAYS`` whose move has no task yet."""
    return tasks_open_for_alerts(since=timezone.now() - dt.timedelta(days=SWEEP_DAYS))


def alerts_follow_up(alerts: list[Alert]) -> None:
    """Registered with the registry's alerts: once the raising transaction commits, open their follow-ups.

    ``robust``: the alerts are committed whatever happens here; if the broker is away, the periodic run opens
    the tasks."""
    from ..tasks import open_alert_tasks  # the tasks module imports the services

    ids = [str(alert.pk) for alert in alerts]
    if ids:
        transaction.on_commit(lambda: open_alert_tasks.delay(ids), robust=True)
