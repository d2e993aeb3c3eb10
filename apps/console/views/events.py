"""The triage queue, the event page and the actions fired from them (through the events services)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from apps.core.visibility import visible, visible_get_or_404
from apps.departments.models import Department, DepartmentLevel
from apps.events import selectors as event_selectors
from apps.events.lifecycle import TRANSITIONS, actor_for, allowed_actions
from apps.events.models import Event, Status
from apps.events.routing import route_event
from apps.events.services import ActionInput, event_act

from ..access import console_page
from ..forms import DispatchForm, EventActionForm
from ..mapdata import _out, tile_layer
from ..services import event_dispatch_from_triage
from .feedback import form_errors, refused, see_other

TRIAGE_PAGE = 25
# What each action asks for besides a note, as the event page shows it.
ACTION_FIELDS = {"dispatch": ["department"], "reroute": ["department"], "raise_level": ["level"],
                 "rate": ["rating"], "grant_extension": ["days"]}  # fmt: skip


def _departments_covering(departments: list[Department], event: Event) -> list[Department]:
    """The departments whose jurisdiction holds the event (any, for an event outside every grid)."""
    return [
        d
        for d in departments
        if not event.territory_path or event.territory_path.startswith(d.jurisdiction.path)
    ]


def _active_departments(request: HttpRequest) -> list[Department]:
    return list(
        visible(Department, request.user)
        .filter(is_active=True)
        .select_related("jurisdiction")
        .order_by("code")
    )


@console_page
def triage(request: HttpRequest) -> HttpResponse:
    """Events no rule routed or a department returned: the route the rules would take now, and one click."""
    events = list(
        event_selectors.events_in_triage(request.user)  # type: ignore[arg-type]
        .select_related("category", "grid")
        .order_by("-reported_at")[:TRIAGE_PAGE]
    )
    departments = _active_departments(request)
    rows = []
    for event in events:
        _placement, route = route_event(category=event.category, lon=event.location.x, lat=event.location.y)
        rows.append(
            {"event": event, "route": route, "departments": _departments_covering(departments, event)}
        )
    return render(request, "console/triage.html", {"rows": rows, "nav": "triage"})


@console_page
@require_POST
def dispatch(request: HttpRequest, pk: Any) -> HttpResponse:
    event = visible_get_or_404(Event, request.user, pk)
    form = DispatchForm(request.POST)
    if not form.is_valid():
        form_errors(request, form.errors)
        return see_other(reverse("console:triage"))
    try:
        event = event_dispatch_from_triage(
            event=event, actor=actor_for(request.user, event), expected_version=form.cleaned_data["version"],
            department=form.cleaned_data["department"],
        )  # fmt: skip
    except APIException as exc:
        refused(request, exc)
    else:
        department = event.department.name if event.department else "-"
        messages.success(
            request,
            _("Dispatched “%(title)s” to %(department)s.") % {"title": event.title, "department": department},
        )
    return see_other(reverse("console:triage"))


def _photos(event: Event) -> list[str]:
    hashes = list(event.photos)
    for report in event.reports.all():
        hashes += report.photos
    for entry in event.timeline.all():
        hashes += entry.photos
    return list(dict.fromkeys(hashes))


def _timeline(event: Event) -> list[dict[str, Any]]:
    """The timeline in words: the action's description and the states' names, not their codes."""
    states = dict(Status.choices)
    return [
        {"entry": entry, "action": TRANSITIONS[entry.action].description if entry.action in TRANSITIONS else entry.action,
         "from": states.get(entry.from_status, entry.from_status), "to": states.get(entry.to_status, entry.to_status)}
        for entry in sorted(event.timeline.all(), key=lambda entry: (entry.at, entry.pk))
    ]  # fmt: skip


@console_page
def event_page(request: HttpRequest, pk: Any) -> HttpResponse:
    """An event: where it is, what happened to it, its photos, and what the dispatcher may do now."""
    found = visible_get_or_404(Event, request.user, pk)
    event = event_selectors.event_detail(found)
    actor = actor_for(request.user, event)
    allowed = allowed_actions(
        status=event.status, actor_kind=actor.kind, suspended=event.suspended_at is not None
    )
    departments = (
        _departments_covering(_active_departments(request), event)
        if {"dispatch", "reroute"} & set(allowed)
        else []
    )
    actions = [{"name": name, "description": TRANSITIONS[name].description, "fields": ACTION_FIELDS.get(name, [])}
               for name in allowed]  # fmt: skip
    lon, lat = _out(event.location.x, event.location.y)
    context = {
        "event": event, "actions": actions, "departments": departments, "photos": _photos(event),
        "point": {"lon": lon, "lat": lat}, "tiles": tile_layer(), "nav": "map",
        "timeline": _timeline(event), "levels": DepartmentLevel.choices,
    }  # fmt: skip
    return render(request, "console/event.html", context)


@console_page
@require_POST
def event_action(request: HttpRequest, pk: Any) -> HttpResponse:
    """Fire one action with the version the page showed; a stale page is told so (412), as is a refusal."""
    event = visible_get_or_404(Event, request.user, pk)
    back = see_other(reverse("console:event", args=[event.pk]))
    form = EventActionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form.errors)
        return back
    data = form.cleaned_data
    try:
        event_act(
            event=event, actor=actor_for(request.user, event), expected_version=data["version"],
            action=ActionInput(action=data["action"], note=data["note"], params=form.params()),
        )  # fmt: skip
    except APIException as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": data["action"]})
    return back
