"""Reporting an event: attach it to an open event it duplicates, or create, route and dispatch it."""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import h3
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.core.bulk import bound_cursor, insert_together
from apps.core.geo.crs import metres_to_degrees
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.permissions import role_of
from apps.core.rows import Columns
from apps.journal.models import Change

from ..calendar import WorkCalendar
from ..lifecycle import SYSTEM_ACTOR, Actor
from ..models import (
    OPEN_STATUSES,
    Event,
    EventCategory,
    EventReport,
    NoticeKind,
    Priority,
    Source,
    Status,
    TimelineEntry,
)
from ..routing import Placement, Route, locate_sql, placement_of, route_by_rules, route_event
from .common import (
    event_journal_entry,
    notice_row,
    timeline_entry,
    work_calendar,
    work_calendar_of,
    work_calendar_sql,
)

# Reports that make an event more pressing: from this many reports on, the priority rises.
PRIORITY_STEPS = ((5, Priority.URGENT), (3, Priority.HIGH))


@dataclass
class ReportInput:
    """One report as a worker's device (or the REST API) sends it; ``location`` is WGS84."""

    category: EventCategory
    title: str
    location: Point
    description: str = ""
    occurred_at: dt.datetime | None = None
    building: Any = None
    person_ids: list[uuid.UUID] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    resolved_on_site: bool = False
    submitted_id: uuid.UUID | None = None
    device_id: str = ""
    # A channel's report names its kind and the channel; empty: from the reporter's role.
    source: str = ""
    source_ref: str = ""
    # Set when the reporter could not name a category we know (a channel's unmapped code): the event goes to
    # triage with this reason, and is not matched against open events of a family it may not belong to.
    triage_reason: str = ""


@dataclass(frozen=True)
class ReportOutcome:
    event: Event
    created: bool
    distance_m: float | None = None
    report: EventReport | None = None

    def explanation(self) -> dict[str, Any] | None:
        if self.created:
            return None
        return {
            "score": 1.0,
            "reasons": [
                _("open event of the same family"),
                _("%(distance).0f m apart") % {"distance": self.distance_m or 0.0},
            ],
        }


def _duplicate_locks(*, family: str, lon: float, lat: float, radius_m: int) -> list[tuple[str, str]]:
    """Lock keys covering every point within ``radius_m``: the point's cell and its ring, per family.

    Two reports that could duplicate each other share at least one key, so they are serialised and the
    second one sees the first.
    """
    resolution = 8 if radius_m <= 400 else 7 if radius_m <= 1_100 else 6
    cell = h3.latlng_to_cell(lat, lon, resolution)
    return [(f"event-dup:{family}", c) for c in h3.grid_disk(cell, 1)]


_EVENT = Columns(Event, "e")


def _duplicate_sql() -> str:
    """The nearest open event of a family reported within the window, within reach of a point (the GiST index
    on the location finds the candidates), nearest first, then the oldest; and its distance in metres."""
    return f"""
        SELECT {_EVENT.sql}, ST_DistanceSphere(e.location, here.point) AS distance
          FROM events_event e
          JOIN events_eventcategory c ON c.code = e.category_id
         CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS point) here
         WHERE c.family_id = %s AND ST_DWithin(e.location, here.point, %s)
           AND e.reported_at >= %s AND e.status = ANY(%s)
         ORDER BY distance, e.reported_at
         LIMIT 1
    """  # noqa: S608 - the columns are the model's


def _open_duplicate(report: ReportInput, now: dt.datetime) -> tuple[Event, float] | None:
    category = report.category
    lon, lat = report.location.x, report.location.y
    dlon, _dlat = metres_to_degrees(category.duplicate_radius_m * 1.2, lat)
    since = now - dt.timedelta(hours=category.duplicate_window_hours)
    with bound_cursor() as cursor:
        cursor.execute(_duplicate_sql(), [lon, lat, category.family_id, dlon, since, list(OPEN_STATUSES)])
        row = cursor.fetchone()
    if row is None:
        return None
    candidate, end = _EVENT.take(row)
    distance = float(row[end])
    if distance > category.duplicate_radius_m:
        return None
    return candidate, distance


def _check_new_id(submitted_id: uuid.UUID | None) -> None:
    if submitted_id is None:
        return
    if (
        Event.objects.filter(pk=submitted_id).exists()
        or EventReport.objects.filter(submitted_id=submitted_id).exists()
    ):
        raise ValidationError({"id": [_("This id already names another record.")]})


def _validate(report: ReportInput) -> None:
    errors: dict[str, list[str]] = {}
    if not report.category.is_active:
        errors["category"] = [_("This category is no longer in use.")]
    if report.resolved_on_site:
        if not report.category.self_resolvable:
            errors["resolved_on_site"] = [_("Events of this category cannot be resolved on the spot.")]
        if not report.photos:
            errors["photos"] = [_("Resolving on the spot needs at least one photo.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_report(*, report: ReportInput, reporter: Any) -> ReportOutcome:
    """Record a report: attach it to an open duplicate, or create the event and route it.

    Serialised per family on the cells around the point so two devices reporting the same fire at once
    produce one event with two reports.
    """
    _validate(report)
    check_referable(user=reporter, hashes=report.photos)
    if report.resolved_on_site and role_of(reporter) != "grid_worker":
        # Resolved on the spot closes the event unverified: the design leaves it to the worker who was there.
        raise ValidationError(
            {"resolved_on_site": [_("Only a grid worker on the spot resolves an event there.")]}
        )
    _check_new_id(report.submitted_id)
    now = timezone.now()
    submitted_id = report.submitted_id or uuid7()  # time-ordered: lists page newest first by id
    actor = Actor("worker", user=reporter, label=str(reporter))
    if not report.resolved_on_site and not report.triage_reason:
        lon, lat = report.location.x, report.location.y
        # The statement that takes the locks also reads the grids around the point and the working calendar,
        # which routing and the deadlines need if the report makes a new event: one round trip, not three.
        grids, overrides = advisory_xact_lock(
            _duplicate_locks(family=report.category.family_id, lon=lon, lat=lat,
                             radius_m=report.category.duplicate_radius_m),
            reading=[locate_sql(lon=lon, lat=lat), work_calendar_sql()],
        )  # fmt: skip
        duplicate = _open_duplicate(report, now)
        if duplicate is not None:
            return _attach(report=report, reporter=reporter, actor=actor, event=duplicate[0],
                           distance=duplicate[1], submitted_id=submitted_id, now=now)  # fmt: skip
        return _create(report=report, reporter=reporter, actor=actor, submitted_id=submitted_id, now=now,
                       placement=placement_of(grids), calendar=work_calendar_of(overrides))  # fmt: skip
    return _create(report=report, reporter=reporter, actor=actor, submitted_id=submitted_id, now=now)


def _report_row(report: ReportInput, *, event: Event, reporter: Any, submitted_id: uuid.UUID, now: dt.datetime,
                original: bool, distance: float | None = None) -> EventReport:  # fmt: skip
    """The report's row, unsaved (written with the event's other rows in one statement)."""
    return EventReport(
        event=event, submitted_id=submitted_id, reporter=reporter, reported_at=now, category=report.category,
        title=report.title, description=report.description, location=report.location, photos=report.photos,
        device_id=report.device_id, distance_m=distance, is_original=original, occurred_at=report.occurred_at,
        building=report.building, person_ids=report.person_ids,
    )  # fmt: skip


def priority_of(report_count: int) -> int:
    """The priority that ``report_count`` reports of one event call for (only reports set it)."""
    return next((p for threshold, p in PRIORITY_STEPS if report_count >= threshold), Priority.NORMAL)


def _attach_sql() -> str:
    """One more report: counted, versioned, prioritised, and the whole row read back (as ``refresh_from_db``
    would). The columns are named, not ``*``: a prepared statement whose row type changes under it (a column
    added by a migration while this process runs) fails."""
    return f"""
        UPDATE events_event e
           SET report_count = report_count + 1, version = version + 1, updated_at = %s,
               priority = GREATEST(priority, %s)
         WHERE e.id = %s
        RETURNING {_EVENT.sql}
    """  # noqa: S608 - the columns are the model's


def _attach(*, report: ReportInput, reporter: Any, actor: Actor, event: Event, distance: float,
            submitted_id: uuid.UUID, now: dt.datetime) -> ReportOutcome:  # fmt: skip
    row = _report_row(report, event=event, reporter=reporter, submitted_id=submitted_id, now=now, original=False,
                      distance=distance)  # fmt: skip
    priority = priority_of(event.report_count + 1)
    with bound_cursor() as cursor:
        cursor.execute(_attach_sql(), [now, priority, event.pk])
        event, _end = _EVENT.take(cursor.fetchone())
    row.event = event
    entry = timeline_entry(
        event=event, action="report_attached", actor=actor, from_status=event.status, to_status=event.status,
        at=now, note=report.description, photos=report.photos,
        data={"report": str(row.pk), "submitted_id": str(submitted_id), "distance_m": round(distance, 1)},
    )  # fmt: skip
    journal = event_journal_entry(
        event=event, change=Change.UPDATED, actor=actor, fields=["report_count", "priority"]
    )
    insert_together([row], [entry], [journal])
    return ReportOutcome(event=event, created=False, distance_m=distance, report=row)


def _create(*, report: ReportInput, reporter: Any, actor: Actor, submitted_id: uuid.UUID, now: dt.datetime,
            existing: EventReport | None = None, placement: Placement | None = None,
            calendar: WorkCalendar | None = None) -> ReportOutcome:  # fmt: skip
    category = report.category
    placement, route = route_event(category=category, lon=report.location.x, lat=report.location.y,
                                   placement=placement)  # fmt: skip
    if report.triage_reason:
        route = Route(level=route.level, explanation={**route.explanation, "triage": True,
                                                      "reason": report.triage_reason})  # fmt: skip
    event = Event(
        id=submitted_id, category=category, title=report.title, description=report.description,
        occurred_at=report.occurred_at, reported_at=existing.reported_at if existing else now, reporter=reporter,
        location=report.location,
        grid_id=placement.grid.id if placement.grid else None,
        territory_path=placement.grid.path if placement.grid else "",
        building=report.building, person_ids=report.person_ids, photos=report.photos, level=route.level,
        routing=route.explanation, source_ref=report.source_ref,
        source=report.source or (Source.DISPATCHER if role_of(reporter) == "dispatcher" else Source.WORKER),
    )  # fmt: skip
    entries = [timeline_entry(event=event, action="report", actor=actor, from_status="", to_status=Status.REPORTED,
                              at=now, note=report.description, photos=report.photos)]  # fmt: skip
    if report.resolved_on_site:
        event.status, event.closed_at, event.self_resolved = Status.CLOSED, now, True
        entries.append(timeline_entry(event=event, action="self_resolve", actor=actor, from_status=Status.REPORTED,
                                      to_status=Status.CLOSED, at=now, photos=report.photos))  # fmt: skip
    elif not route.triage:
        entries += dispatch_to(
            event=event,
            route=route,
            actor=SYSTEM_ACTOR,
            now=now,
            from_status=Status.REPORTED,
            calendar=calendar,
        )
    original = []
    if existing is None:
        original = [_report_row(report, event=event, reporter=reporter, submitted_id=submitted_id, now=now,
                                original=True)]  # fmt: skip
    notice = (
        notice_row(event=event, kind=NoticeKind.DISPATCHED) if event.status == Status.DISPATCHED else None
    )
    journal = event_journal_entry(event=event, change=Change.CREATED, actor=actor)
    # The event and every row that goes with it in one statement (one round trip instead of five).
    insert_together([event], original, entries, [journal], [notice] if notice else [])
    if existing is not None:  # a report split back out of another event becomes this event's original report
        EventReport.objects.filter(pk=existing.pk).update(event=event, is_original=True, distance_m=None)
    return ReportOutcome(event=event, created=True)


def dispatch_to(
    *, event: Event, route: Route, actor: Actor, now: dt.datetime, from_status: str,
    calendar: WorkCalendar | None = None,
) -> list[TimelineEntry]:  # fmt: skip
    """Accept (if needed) and dispatch ``event`` to the routed department; start the sign clock.

    Returns the timeline entries to save; the caller saves the event.
    """
    entries = []
    if from_status == Status.REPORTED:
        entries.append(timeline_entry(event=event, action="accept", actor=actor, from_status=from_status,
                                      to_status=Status.ACCEPTED, at=now, data=route.explanation))  # fmt: skip
        from_status = Status.ACCEPTED
    event.department = route.department
    event.level = route.level
    event.routing = route.explanation
    event.status = Status.DISPATCHED
    event.dispatched_at = now
    event.sign_by = (calendar or work_calendar()).add_hours(now, float(event.category.sign_hours))
    event.signed_at = event.handle_by = None
    event.overdue, event.overdue_since, event.escalate_at = False, None, None
    entries.append(timeline_entry(event=event, action="dispatch", actor=actor, from_status=from_status,
                                  to_status=Status.DISPATCHED, at=now, data=route.explanation))  # fmt: skip
    return entries


def reroute(*, event: Event, level: str) -> Route:
    """Route ``event`` again by the rules at ``level`` (its grid is already known)."""
    if not event.territory_path:
        return Route(level=level, explanation={"triage": True, "level": level, "grid": None,
                                               "reason": _("The point lies outside every grid.")})  # fmt: skip
    return route_by_rules(category=event.category, level=level, grid_path=event.territory_path)
