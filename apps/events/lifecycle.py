"""The event state machine: which action moves an event from which states to which, and who may fire it.

One table, read by the action service (to refuse an illegal move with the list of allowed ones) and by
the API schema (the action enum). Actions that do not change the status (suspend, extension, …) list the
states they apply in and keep the status.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.permissions import role_of

from .models import OPEN_STATUSES, Status

WORKER, DEPARTMENT, DISPATCHER, SYSTEM = "worker", "department", "dispatcher", "system"

# Open states in which the handling clock may be paused or the deadline moved.
CLOCK_STATES = frozenset({Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays (or, for verify, depends on the outcome)
    actors: frozenset[str]
    description: Any


def _t(sources: Any, target: str | None, actors: set[str], description: Any) -> Transition:
    return Transition(frozenset(sources), target, frozenset(actors), description)


TRANSITIONS: dict[str, Transition] = {
    "accept": _t({Status.REPORTED}, Status.ACCEPTED, {DISPATCHER, SYSTEM}, _("accept into handling (受理)")),
    "dispatch": _t({Status.ACCEPTED}, Status.DISPATCHED, {DISPATCHER, SYSTEM}, _("dispatch to a department")),
    "sign": _t({Status.DISPATCHED}, Status.SIGNED, {DEPARTMENT}, _("sign for it (签收)")),
    "start": _t({Status.SIGNED}, Status.IN_PROGRESS, {DEPARTMENT}, _("start handling")),
    "report_handled": _t({Status.IN_PROGRESS}, Status.HANDLED, {DEPARTMENT}, _("report it handled")),
    "return": _t({Status.DISPATCHED, Status.SIGNED}, Status.ACCEPTED, {DEPARTMENT}, _("return it (退单)")),
    "verify": _t({Status.HANDLED}, None, {WORKER}, _("verify on site: closed, or back to rework")),
    "rate": _t({Status.CLOSED}, Status.RATED, {WORKER, DISPATCHER}, _("rate satisfaction (回访)")),
    "cancel": _t({Status.REPORTED, Status.ACCEPTED}, Status.CANCELLED, {DISPATCHER}, _("cancel (注销)")),
    "suspend": _t(CLOCK_STATES, None, {DEPARTMENT, DISPATCHER}, _("suspend: pause the clock")),
    "resume": _t(CLOCK_STATES, None, {DEPARTMENT, DISPATCHER}, _("resume the clock")),
    "request_extension": _t(
        {Status.SIGNED, Status.IN_PROGRESS}, None, {DEPARTMENT}, _("ask for more working days")
    ),
    "grant_extension": _t(
        {Status.SIGNED, Status.IN_PROGRESS}, None, {DISPATCHER}, _("grant the requested extension")
    ),
    "reroute": _t(
        {Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS},
        Status.DISPATCHED,
        {DISPATCHER},
        _("route again (by the rules, or to a named department)"),
    ),
    "raise_level": _t(
        set(OPEN_STATUSES) - {Status.HANDLED}, Status.DISPATCHED, {DISPATCHER}, _("raise the handling level")
    ),
    "escalate": _t(CLOCK_STATES, Status.DISPATCHED, {DISPATCHER, SYSTEM}, _("escalate one level up (升级)")),
    "remind": _t(CLOCK_STATES, None, {DISPATCHER, SYSTEM}, _("remind the department (催办)")),
}

# Actions a client may send to POST /events/<id>/actions/ (the rest are fired by the system or at report).
CLIENT_ACTIONS = sorted(TRANSITIONS)


def allowed_actions(*, status: str, actor_kind: str, suspended: bool = False) -> list[str]:
    """The actions ``actor_kind`` may fire on an event in ``status`` (suspended or not), sorted."""
    pointless = "suspend" if suspended else "resume"
    return sorted(
        name
        for name, transition in TRANSITIONS.items()
        if status in transition.sources and actor_kind in transition.actors and name != pointless
    )


@dataclass(frozen=True)
class Actor:
    """Who acts on an event, as the state machine sees them."""

    kind: str
    user: Any = None
    department: Any = None
    label: str = ""


def actor_for(principal: Any, event: Any) -> Actor:
    """The caller's part in ``event``: the department it is assigned to, a dispatcher, its reporter, or none.

    Visibility has been checked by the selector already; this decides the role the caller plays.
    """
    role = role_of(principal)
    if role in {"admin", "dispatcher"}:
        return Actor(DISPATCHER, user=principal, label=str(principal))
    if role == "department_system":
        if event.department_id == principal.department_id:
            return Actor(DEPARTMENT, department=principal.department, label=str(principal))
        return Actor("none", label=str(principal))
    if role == "department_staff":
        department_ids = {m.department_id for m in principal.memberships.all()}
        if event.department_id in department_ids:
            return Actor(DEPARTMENT, user=principal, department=event.department, label=str(principal))
        return Actor("none", user=principal, label=str(principal))
    if role == "grid_worker" and event.reporter_id == principal.pk:
        return Actor(WORKER, user=principal, label=str(principal))
    return Actor("none", user=principal, label=str(principal))


SYSTEM_ACTOR = Actor(SYSTEM, label="system")
