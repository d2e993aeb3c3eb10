"""Acting on an event: one service for every transition of the state machine.

``event_act`` locks the event, checks the version and the transition table, lets the action's handler
change the event, then bumps the version and writes the timeline, the journal and any notice — all in
one transaction.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.core.errors import Conflict, IllegalTransition, PreconditionFailed
from apps.departments.models import Department
from apps.journal.models import Change

from ..lifecycle import CLOCK_STATES, TRANSITIONS, Actor, allowed_actions
from ..models import LEVELS, Event, NoticeKind, Status, TimelineEntry
from ..routing import Route, level_above
from .common import (
    event_journal,
    event_status_changed,
    notice_add,
    timeline_entry,
    work_calendar,
)
from .reporting import dispatch_to, reroute

MAX_EXTENSION_DAYS = Decimal(30)
# What an action may carry besides its note and photos (which actions read which: see the handlers).
ACTION_PARAMS = ("department", "level", "ok", "rating", "days")


@dataclass
class ActionInput:
    action: str
    note: str = ""
    photos: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    """What a handler did: the status reached, extra timeline data, notices owed, extra timeline entries."""

    to_status: str
    data: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    entries: list[TimelineEntry] = field(default_factory=list)


def action_params(fields: dict[str, Any]) -> dict[str, Any]:
    """The action parameters among ``fields`` (a request body or a sync mutation's data)."""
    return {name: fields[name] for name in ACTION_PARAMS if name in fields}


Handler = Callable[[Event, Actor, ActionInput, dt.datetime], Step]


def _require_note(action: ActionInput, what: str) -> None:
    if not action.note.strip():
        raise ValidationError({"note": [_("A note is required to %(what)s.") % {"what": what}]})


def _days(action: ActionInput, *, required: bool = True) -> Decimal | None:
    raw = action.params.get("days")
    if raw is None and not required:
        return None
    try:
        days = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"days": [_("A number of working days is required.")]}) from exc
    if not days.is_finite() or days <= 0 or days > MAX_EXTENSION_DAYS:
        raise ValidationError(
            {"days": [_("Between 0 and %(max)s working days.") % {"max": MAX_EXTENSION_DAYS}]}
        )
    return days


def _accept(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    return Step(Status.ACCEPTED)


def _route_step(event: Event, actor: Actor, route: Route, now: dt.datetime, from_status: str) -> Step:
    if route.triage:
        event.department, event.level, event.routing = None, route.level, route.explanation
        event.sign_by = event.handle_by = event.signed_at = None
        event.overdue, event.overdue_since, event.escalate_at = False, None, None
        return Step(Status.ACCEPTED, data=route.explanation)
    entries = dispatch_to(event=event, route=route, actor=actor, now=now, from_status=Status.ACCEPTED)
    # dispatch_to writes the dispatch entry itself; the action's own entry carries the route.
    dispatch_entry = entries[-1]
    return Step(Status.DISPATCHED, data=dispatch_entry.data, notices=[NoticeKind.DISPATCHED])


def _named_department(action: ActionInput, event: Event) -> Department | None:
    code = action.params.get("department")
    if code in (None, ""):
        return None
    department = (
        Department.objects.filter(code=str(code), is_active=True).select_related("jurisdiction").first()
    )
    if department is None:
        raise ValidationError({"department": [_("No active department with this code.")]})
    # An event outside every grid has no territory: any department may take it by hand.
    if event.territory_path and not event.territory_path.startswith(department.jurisdiction.path):
        raise ValidationError({"department": [_("The event lies outside this department's jurisdiction.")]})
    return department


def _manual_route(event: Event, actor: Actor, department: Department) -> Route:
    return Route(
        level=department.level,
        department=department,
        explanation={"triage": False, "manual": True, "department": department.code, "level": department.level,
                     "by": actor.label, "reason": _("Dispatched by hand.")},
    )  # fmt: skip


def _dispatch(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    department = _named_department(action, event)
    route = _manual_route(event, actor, department) if department else reroute(event=event, level=event.level)
    if route.triage:
        raise ValidationError({"department": [_("No rule routes this event; name the department.")]})
    return _route_step(event, actor, route, now, Status.ACCEPTED)


def _reroute(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    department = _named_department(action, event)
    route = _manual_route(event, actor, department) if department else reroute(event=event, level=event.level)
    return _route_step(event, actor, route, now, event.status)


def _raise_level(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    level = action.params.get("level")
    if level not in LEVELS or LEVELS.index(level) <= LEVELS.index(event.level):
        above = LEVELS[LEVELS.index(event.level) + 1 :]
        raise ValidationError(
            {
                "level": [
                    _("Choose a level above the current one: %(levels)s.")
                    % {"levels": ", ".join(above) or "-"}
                ]
            }
        )
    previous_level = event.level
    step = _route_step(event, actor, reroute(event=event, level=level), now, event.status)
    step.data = {**step.data, "from_level": previous_level}
    return step


def _escalate(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    previous = event.department.code if event.department else None
    previous_level = event.level
    level = level_above(event.level)
    if level is None:
        raise Conflict(_("The event is already handled at the highest level."))
    step = _route_step(event, actor, reroute(event=event, level=level), now, event.status)
    event.escalation_count += 1
    step.data = {**step.data, "escalated_from": previous, "from_level": previous_level}
    step.notices.append(NoticeKind.ESCALATED)
    return step


def _sign(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    event.signed_at = now
    event.handle_by = work_calendar().add_working_days(now, float(event.category.handle_days))
    late = event.sign_by is not None and now > event.sign_by
    event.overdue, event.overdue_since, event.escalate_at = False, None, None
    return Step(Status.SIGNED, data={"signed_late": late, "handle_by": event.handle_by.isoformat()})


def _start(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    return Step(Status.IN_PROGRESS)


def _report_handled(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    _require_note(action, _("report it handled"))
    event.handled_at = now
    late = event.handle_by is not None and now > event.handle_by
    event.overdue, event.overdue_since, event.escalate_at = False, None, None
    return Step(Status.HANDLED, data={"handled_late": late})


def _return(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    _require_note(action, _("return it"))
    returned_by = event.department.code if event.department else None
    event.department = None
    event.sign_by = event.handle_by = event.signed_at = None
    event.overdue, event.overdue_since, event.escalate_at = False, None, None
    event.return_count += 1
    event.routing = {"triage": True, "level": event.level, "returned_by": returned_by, "reason": action.note}
    return Step(Status.ACCEPTED, data={"returned_by": returned_by})


def _verify(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    ok = action.params.get("ok")
    if not isinstance(ok, bool):
        raise ValidationError({"ok": [_("Say whether the matter is resolved: true or false.")]})
    if ok:
        event.closed_at = now
        return Step(Status.CLOSED, data={"ok": True})
    _require_note(action, _("send it back for rework"))
    event.rework_count += 1
    event.handled_at = None
    return Step(Status.IN_PROGRESS, data={"ok": False})


def _rate(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    rating = action.params.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("A whole number from 1 (unsatisfied) to 5 (very satisfied).")]})
    event.rating, event.rating_note = rating, action.note[:500]
    return Step(Status.RATED, data={"rating": rating})


def _cancel(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    _require_note(action, _("cancel it"))
    return Step(Status.CANCELLED)


def _suspend(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    if event.suspended_at is not None:
        raise Conflict(_("The event is already suspended."))
    _require_note(action, _("suspend it"))
    event.suspended_at = now
    return Step(event.status)


def _resume(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    if event.suspended_at is None:
        raise Conflict(_("The event is not suspended."))
    calendar = work_calendar()
    paused = calendar.between(event.suspended_at, now)
    # The clock stood still while suspended: every running deadline moves by the business time lost — the
    # handling deadline only by the part after signing, when it was set (an event may be signed while suspended).
    signed_since = (
        calendar.between(max(event.suspended_at, event.signed_at), now) if event.signed_at else paused
    )
    for name in ("sign_by", "handle_by", "escalate_at"):
        deadline = getattr(event, name)
        if deadline is not None:
            setattr(event, name, calendar.add(deadline, signed_since if name == "handle_by" else paused))
    event.suspended_at = None
    return Step(event.status, data={"paused_business_seconds": round(paused)})


def _request_extension(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    _require_note(action, _("ask for an extension"))
    event.extension_requested_days = _days(action)
    return Step(event.status, data={"days": str(event.extension_requested_days)})


def _grant_extension(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    if event.extension_requested_days is None:
        raise Conflict(_("No extension has been requested."))
    days = _days(action, required=False) or event.extension_requested_days
    if event.handle_by is None:
        raise Conflict(_("The handling clock has not started."))
    previous = event.handle_by
    event.handle_by = work_calendar().add_working_days(event.handle_by, float(days))
    event.extension_requested_days = None
    if event.handle_by > now:
        event.overdue, event.overdue_since, event.escalate_at = False, None, None
    return Step(
        event.status,
        data={"days": str(days), "from": previous.isoformat(), "to": event.handle_by.isoformat()},
    )


def _remind(event: Event, actor: Actor, action: ActionInput, now: dt.datetime) -> Step:
    event.reminder_count += 1
    return Step(event.status, notices=[NoticeKind.REMINDER])


HANDLERS: dict[str, Handler] = {
    "accept": _accept, "dispatch": _dispatch, "sign": _sign, "start": _start, "report_handled": _report_handled,
    "return": _return, "verify": _verify, "rate": _rate, "cancel": _cancel, "suspend": _suspend,
    "resume": _resume, "request_extension": _request_extension, "grant_extension": _grant_extension,
    "reroute": _reroute, "raise_level": _raise_level, "escalate": _escalate, "remind": _remind,
}  # fmt: skip


def check_transition(*, event: Event, actor: Actor, action: str) -> None:
    """Refuse an action unknown (400), or not allowed in this state for this actor (409 with the allowed ones)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": [_("Unknown action %(action)s.") % {"action": action}]})
    if event.status not in transition.sources or actor.kind not in transition.actors:
        raise IllegalTransition(
            _("%(action)s is not allowed while the event is %(status)s, acting as %(actor)s.")
            % {"action": action, "status": event.status, "actor": actor.kind},
            allowed=allowed_actions(
                status=event.status, actor_kind=actor.kind, suspended=event.suspended_at is not None
            ),
        )


@transaction.atomic
def event_act(
    *,
    event: Event,
    actor: Actor,
    action: ActionInput,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> Event:
    """Fire ``action`` on ``event`` as ``actor``; the version must match ``expected_version`` when given."""
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("category", "department")
        .get(pk=event.pk)
    )
    if expected_version is not None and expected_version != event.version:
        raise PreconditionFailed()
    check_transition(event=event, actor=actor, action=action.action)
    if actor.user is not None:
        check_referable(user=actor.user, hashes=action.photos)
    now = now or timezone.now()
    from_status = event.status
    step = HANDLERS[action.action](event, actor, action, now)
    if step.to_status not in CLOCK_STATES:
        event.suspended_at = None
    event.status = step.to_status
    event.version += 1
    event.save()
    entries = list(step.entries)
    entries.append(timeline_entry(event=event, action=action.action, actor=actor, from_status=from_status,
                                  to_status=event.status, at=now, note=action.note, photos=action.photos,
                                  data=step.data))  # fmt: skip
    TimelineEntry.objects.bulk_create(entries)
    event_journal(event=event, change=Change.UPDATED, actor=actor, fields=["status"])
    for kind in step.notices:
        notice_add(event=event, kind=kind)
    event_status_changed(event=event, from_status=from_status, action=action.action, note=action.note, at=now)
    return event
