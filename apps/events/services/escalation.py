"""The periodic scan: mark events whose deadline passed, then escalate those still overdue after the grace.

Set-based discovery (two indexed queries over partial indexes), then one short transaction per event,
re-checked under a row lock: running the scan twice, or on two workers at once, changes nothing twice.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.journal.models import Change

from ..lifecycle import CLOCK_STATES, SYSTEM_ACTOR
from ..models import Event, NoticeKind, Status
from ..routing import level_above
from .actions import ActionInput, event_act
from .common import event_journal, grace_hours, notice_add, timeline_entry, work_calendar

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class ScanResult:
    marked: int
    escalated: int


def events_scan_overdue(*, now: dt.datetime | None = None) -> ScanResult:
    """Mark newly overdue events (reminder + notices) and escalate those whose grace period is over."""
    now = now or timezone.now()
    due = (
        Event.objects.filter(suspended_at__isnull=True, overdue=False)
        .filter(
            Q(status=Status.DISPATCHED, sign_by__lt=now)
            | Q(status__in=[Status.SIGNED, Status.IN_PROGRESS], handle_by__lt=now)
        )
        .order_by("pk")
        .only("pk")[:BATCH]
    )
    marked = sum(event_mark_overdue(event=event, now=now) for event in due)
    escalating = (
        Event.objects.filter(overdue=True, suspended_at__isnull=True, escalate_at__lte=now)
        .order_by("escalate_at")
        .only("pk")[:BATCH]
    )
    escalated = sum(event_escalate_overdue(event=event, now=now) for event in escalating)
    if marked or escalated:
        logger.info("overdue scan: %d marked overdue, %d escalated", marked, escalated)
    return ScanResult(marked=marked, escalated=escalated)


def event_mark_overdue(*, event: Event, now: dt.datetime) -> bool:
    """Mark an event whose deadline passed: overdue flag, a reminder (催办), notices; False if not due.

    Re-checked under the row lock, so two scanners never mark it twice.
    """
    with transaction.atomic():
        locked = (
            Event.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("category", "department")
            .filter(pk=event.pk)
            .first()
        )
        if locked is None or locked.overdue or locked.suspended_at is not None:
            return False
        event = locked
        deadline = event.sign_by if event.status == Status.DISPATCHED else event.handle_by
        if event.status not in CLOCK_STATES or deadline is None or deadline >= now:
            return False
        event.overdue, event.overdue_since = True, now
        event.escalate_at = work_calendar().add_hours(now, grace_hours())
        event.reminder_count += 1
        event.version += 1
        event.save()
        which = "sign_by" if event.status == Status.DISPATCHED else "handle_by"
        timeline_entry(event=event, action="remind", actor=SYSTEM_ACTOR, from_status=event.status,
                       to_status=event.status, at=now, note=_("Overdue: reminder sent."),
                       data={"deadline": which, "due": deadline.isoformat(),
                             "escalate_at": event.escalate_at.isoformat()}).save()  # fmt: skip
        event_journal(event=event, change=Change.UPDATED, actor=SYSTEM_ACTOR, fields=["overdue"])
        notice_add(event=event, kind=NoticeKind.OVERDUE)
        notice_add(event=event, kind=NoticeKind.REMINDER)
        return True


def event_escalate_overdue(*, event: Event, now: dt.datetime) -> bool:
    """Escalate an overdue event whose grace period is over; False if not (or no longer) due."""
    with transaction.atomic():
        locked = Event.objects.select_for_update(skip_locked=True).filter(pk=event.pk).first()
        if locked is None or not locked.overdue or locked.suspended_at is not None:
            return False
        if locked.escalate_at is None or locked.escalate_at > now or locked.status not in CLOCK_STATES:
            return False
        if level_above(locked.level) is None:
            Event.objects.filter(pk=locked.pk).update(escalate_at=None)
            return False
        event_act(event=locked, actor=SYSTEM_ACTOR, action=ActionInput("escalate", note=_("Overdue after the grace period.")),
                  expected_version=None, now=now)  # fmt: skip
        return True
