"""The periodic scan: mark events whose deadline passed, then escalate those still overdue after the grace.

Set-based discovery (two indexed queries over partial indexes), then one short transaction per event,
re-checked under a row lock: running the scan twice, or on two workers at once, changes nothing twice.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from ..models import Event, Status
from .actions import event_escalate_overdue, event_mark_overdue

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
