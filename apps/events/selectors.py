"""Reads of events: what each caller may see, the references a report may make, the triage queue."""

import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.bulk import bound_cursor
from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.core.rows import Columns
from apps.core.visibility import visible_get, visible_many
from apps.registry.models import Building, Person
from apps.territory.selectors import worker_grids

from .models import Event, EventCategory, EventFamily, EventNotice, EventReport, Status, TimelineEntry


def _department_of(caller: Principal) -> Any:
    """The department of a department's system (an API key); the other principals have none."""
    return getattr(caller, "department_id", None)


def events_for(caller: Principal) -> QuerySet[Event]:
    """Events the caller may see.

    admin: all; dispatcher: those in their territory (a city-level dispatcher also those outside every
    grid); department staff and systems: those assigned to their department; grid worker: those they
    reported (and must verify) and those in the grids they serve.
    """
    role = role_of(caller)
    queryset = Event.objects.all()
    if role == "admin":
        return queryset
    if role == "dispatcher" and getattr(caller, "territory_id", None):
        territory = getattr(caller, "territory")  # noqa: B009 - a dispatcher's, not every principal's
        scope = Q(territory_path__startswith=territory.path)
        if territory.parent_id is None:
            scope |= Q(territory_path="")
        return queryset.filter(scope)
    if role == "department_system":
        return queryset.filter(department_id=_department_of(caller))
    if role == "department_staff":
        return queryset.filter(department__memberships__user=caller.pk)
    if role == "grid_worker":
        return queryset.filter(Q(reporter=caller) | Q(grid__in=worker_grids(worker=caller).values("pk")))
    return queryset.none()


def events_in_triage(caller: Principal) -> QuerySet[Event]:
    """Events waiting for a dispatcher: routing found no department, or a department returned them."""
    if role_of(caller) not in {"admin", "dispatcher"}:
        return Event.objects.none()
    return events_for(caller).filter(department__isnull=True, status__in=[Status.REPORTED, Status.ACCEPTED])


def event_by_any_id(caller: Principal, given: uuid.UUID) -> Event | None:
    """The visible event ``given`` names: its own id, or the id a device gave a report attached to it."""
    return visible_get(Event, caller, given)


def event_detail(event: Event) -> Event:
    """``event`` (found through the gate) again with what its detail shows: category, grid, department, timeline
    and reports. Not scoped again: after an action (a return, a reroute) the actor may no longer see it, and
    still gets the state it left the event in."""
    return (
        Event.objects.select_related("category", "grid", "department")
        .prefetch_related(
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor_department")),
            Prefetch("reports", queryset=EventReport.objects.order_by("reported_at")),
        )
        .get(pk=event.pk)
    )


def timeline_for(caller: Principal) -> QuerySet[TimelineEntry]:
    """Timeline entries of the events the caller may see."""
    return TimelineEntry.objects.filter(event__in=events_for(caller).values("pk"))


def reports_for(caller: Principal) -> QuerySet[EventReport]:
    """Reports (the original and attached duplicates) of the events the caller may see."""
    return EventReport.objects.filter(event__in=events_for(caller).values("pk"))


def report_resolver(ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """For the visibility gate: the event each id a device gave an attached report now belongs to."""
    return dict(EventReport.objects.filter(submitted_id__in=ids).values_list("submitted_id", "event_id"))


_CATEGORY, _FAMILY = Columns(EventCategory, "c"), Columns(EventFamily, "f")


def active_category(code: Any) -> EventCategory:
    """The active category ``code`` with its family; a field error otherwise. Every report reads it: written as
    SQL once (see ``apps.core.rows``)."""
    with bound_cursor() as cursor:
        cursor.execute(
            f"SELECT {_CATEGORY.sql}, {_FAMILY.sql} FROM events_eventcategory c "  # noqa: S608
            "JOIN events_eventfamily f ON f.code = c.family_id WHERE c.code = %s AND c.is_active",
            [str(code)],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError({"category": [_("Unknown event category %(code)s.") % {"code": code}]})
    category, end = _CATEGORY.take(row)
    category.family, _end = _FAMILY.take(row, end)
    return category


def report_references(
    caller: Principal, *, building_id: Any, person_ids: list[Any]
) -> tuple[Building | None, list[uuid.UUID]]:
    """The building and people a report names, through aliases, among the records the caller may see."""
    building = None
    if building_id:
        building = visible_get(Building, caller, building_id)
        if building is None:
            raise ValidationError({"building_id": [_("No such building among those you may see.")]})
    people: list[uuid.UUID] = []
    if person_ids:
        seen, missing = visible_many(Person, caller, person_ids)
        if missing:
            raise ValidationError(
                {
                    "person_ids": [
                        _("No such person among those you may see: %(ids)s")
                        % {"ids": ", ".join(str(pid) for pid in missing)}
                    ]
                }
            )
        people = list(dict.fromkeys(seen[pid] for pid in person_ids))
    return building, people


def notices_for(caller: Principal) -> QuerySet[EventNotice]:
    """Notices owed to the caller's department (a department system or its staff)."""
    role = role_of(caller)
    if role == "department_system":
        return EventNotice.objects.filter(department_id=_department_of(caller))
    if role == "department_staff":
        return EventNotice.objects.filter(department__memberships__user=caller.pk)
    if role == "admin":
        return EventNotice.objects.all()
    return EventNotice.objects.none()


def event_photo_visible(user: Principal, sha256: str) -> bool:
    """Whether ``user`` may see an event whose report, reports or timeline show the photo ``sha256``."""
    shown = (
        Q(photos__contains=[sha256])
        | Q(pk__in=TimelineEntry.objects.filter(photos__contains=[sha256]).values("event_id"))
        | Q(pk__in=EventReport.objects.filter(photos__contains=[sha256]).values("event_id"))
    )
    return events_for(user).filter(shown).exists()
