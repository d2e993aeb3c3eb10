"""What every event write shares: the working calendar, the timeline, the journal and department notices."""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry

from ..calendar import WorkCalendar
from ..lifecycle import Actor
from ..models import CalendarOverride, Event, EventNotice, TimelineEntry

RECORD_TYPE = "event"


def _calendar_window() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return today - dt.timedelta(days=60), today + dt.timedelta(days=400)


def work_calendar() -> WorkCalendar:
    """The working-day calendar with the administrator's overrides around today (one small query)."""
    start, end = _calendar_window()
    overrides = dict(
        CalendarOverride.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )
    return WorkCalendar(overrides=overrides)


# The overrides of ``work_calendar`` as a scalar subquery (JSON rows [date, is_workday]), for a statement that
# reads them on the way (a report's lock statement).
_OVERRIDES_SQL = (
    "SELECT json_agg(json_build_array(date, is_workday)) FROM events_calendaroverride "
    "WHERE date >= %s::date AND date <= %s::date"
)


def work_calendar_sql() -> tuple[str, list[Any]]:
    """(SQL, parameters) of the subquery whose value ``work_calendar_of`` reads."""
    return _OVERRIDES_SQL, list(_calendar_window())


def work_calendar_of(rows: list[list[Any]] | None) -> WorkCalendar:
    """The calendar of the rows ``work_calendar_sql`` read (None when there are none)."""
    return WorkCalendar(overrides={dt.date.fromisoformat(day): bool(workday) for day, workday in rows or []})


def timeline_entry(
    *,
    event: Event,
    action: str,
    actor: Actor,
    from_status: str,
    to_status: str,
    at: dt.datetime,
    note: str = "",
    photos: Iterable[str] = (),
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """An unsaved timeline entry (callers create them in bulk)."""
    return TimelineEntry(
        event=event, action=action, from_status=from_status, to_status=to_status,
        actor=actor.user if getattr(actor.user, "pk", None) else None, actor_department=actor.department,
        actor_label=actor.label[:150], at=at, note=note, photos=list(photos), data=data or {},
    )  # fmt: skip


def event_journal_entry(
    *, event: Event, change: str, actor: Actor, fields: Iterable[str] = (), previous_grid_id: Any = None
) -> JournalEntry:
    """The journal entry of a change of ``event``, unsaved (for writes that insert several rows at once)."""
    return journal_entry(
        record_type=RECORD_TYPE, record_id=event.pk, change=change, version=event.version, grid_id=event.grid_id,
        previous_grid_id=previous_grid_id, fields=fields, actor=actor.user,
        merged_into=event.merged_into_id if change == Change.MERGED else None,
    )  # fmt: skip


def event_journal(
    *, event: Event, change: str, actor: Actor, fields: Iterable[str] = (), previous_grid_id: Any = None
) -> None:
    event_journal_entry(
        event=event, change=change, actor=actor, fields=fields, previous_grid_id=previous_grid_id
    ).save(force_insert=True)


def notice_payload(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.pk), "status": event.status, "category": event.category_id, "level": event.level,
        "department": event.department.code if event.department else None,
        "sign_by": event.sign_by.isoformat() if event.sign_by else None,
        "handle_by": event.handle_by.isoformat() if event.handle_by else None,
        "overdue": event.overdue, "escalation_count": event.escalation_count,
    }  # fmt: skip


def notice_row(*, event: Event, kind: str) -> EventNotice | None:
    """An outbox row for the event's department, unsaved (nothing when it has none)."""
    if event.department_id is None:
        return None
    return EventNotice(
        event=event, department_id=event.department_id, kind=kind, payload=notice_payload(event)
    )


def notice_add(*, event: Event, kind: str) -> EventNotice | None:
    """An outbox row for the event's department (nothing when it has none)."""
    notice = notice_row(event=event, kind=kind)
    if notice is not None:
        notice.save(force_insert=True)
    return notice


# Apps above events (the channels an event came from) follow its status changes in the same transaction.
StatusFollower = Callable[..., None]
_status_followers: list[StatusFollower] = []


def event_status_followers_register(follower: StatusFollower) -> None:
    """``follower(event=…, from_status=…, action=…, note=…, at=…)`` is called after each action on an event."""
    if follower not in _status_followers:
        _status_followers.append(follower)


def event_status_changed(*, event: Event, from_status: str, action: str, note: str, at: dt.datetime) -> None:
    for follower in _status_followers:
        follower(event=event, from_status=from_status, action=action, note=note, at=at)


def grace_hours() -> float:
    return float(settings.GRIDAPI_EVENT_ESCALATION_GRACE_HOURS)


def events_follow_territory(old_path: str, new_path: str) -> None:
    """A subtree of the territory moved (``old_path`` is now ``new_path``): its events' paths follow, so that
    the dispatchers of the new place see them and re-routing reads the right rules."""
    Event.objects.filter(territory_path__startswith=old_path).update(
        territory_path=Concat(Value(new_path), Substr("territory_path", len(old_path) + 1))
    )
