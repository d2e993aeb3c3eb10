"""Undoing a wrong duplicate attachment: a report split out of an event becomes an event of its own."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.journal.models import Change

from ..lifecycle import Actor
from ..models import Event, EventReport, TimelineEntry
from .common import event_journal, event_status_changed, timeline_entry
from .reporting import ReportInput, ReportOutcome, _create, priority_of


@transaction.atomic
def event_report_split(
    *, report: EventReport, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> ReportOutcome:
    """Detach ``report`` from its event and make it a new event (with the id its device gave), routed afresh."""
    report = EventReport.objects.select_for_update().select_related("category", "reporter").get(pk=report.pk)
    if report.is_original:
        raise ValidationError(
            {"report": [_("This is the event's own first report; it cannot be split out.")]}
        )
    source = Event.objects.select_for_update().get(pk=report.event_id)
    now = now or timezone.now()
    # Only reports raise the priority: with one fewer, it is what the remaining ones call for.
    Event.objects.filter(pk=source.pk).update(
        report_count=F("report_count") - 1, version=F("version") + 1, updated_at=now,
        priority=priority_of(source.report_count - 1),
    )  # fmt: skip
    source.refresh_from_db()
    timeline_entry(event=source, action="report_split", actor=actor, from_status=source.status,
                   to_status=source.status, at=now, note=note,
                   data={"report": str(report.pk), "new_event": str(report.submitted_id)}).save()  # fmt: skip
    event_journal(event=source, change=Change.UPDATED, actor=actor, fields=["report_count", "priority"])
    data = ReportInput(
        category=report.category, title=report.title, location=report.location, description=report.description,
        photos=list(report.photos), submitted_id=report.submitted_id, device_id=report.device_id,
        occurred_at=report.occurred_at, building=report.building, person_ids=list(report.person_ids),
    )  # fmt: skip
    reporter: Any = report.reporter
    outcome = _create(report=data, reporter=reporter, actor=actor, submitted_id=report.submitted_id, now=now,
                      existing=report)  # fmt: skip
    TimelineEntry.objects.filter(event=outcome.event, action="report").update(
        data={"split_from": str(source.pk)}, actor=reporter
    )
    event_status_changed(event=outcome.event, from_status="", action="split", note=note, at=now)
    return outcome
