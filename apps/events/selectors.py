"""Reads of events: what each caller may see, the references a report may make, the triage queue."""

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.permissions import role_of
from apps.registry import selectors as registry
from apps.registry.models import RecordType
from apps.territory.selectors import worker_grids

from .models import Event, EventCategory, EventNotice, EventReport, Status, TimelineEntry


def events_for(caller: Any) -> QuerySet[Event]:
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
        territory = caller.territory
        scope = Q(territory_path__startswith=territory.path)
        if territory.parent_id is None:
            scope |= Q(territory_path="")
        return queryset.filter(scope)
    if role == "department_system":
        return queryset.filter(department_id=caller.department_id)
    if role == "department_staff":
        return queryset.filter(department__memberships__user=caller)
    if role == "grid_worker":
        return queryset.filter(Q(reporter=caller) | Q(grid__in=worker_grids(worker=caller).values("pk")))
    return queryset.none()


def events_in_triage(caller: Any) -> QuerySet[Event]:
    """Events waiting for a dispatcher: routing found no department, or a department returned them."""
    if role_of(caller) not in {"admin", "dispatcher"}:
        return Event.objects.none()
    return events_for(caller).filter(department__isnull=True, status__in=[Status.REPORTED, Status.ACCEPTED])


def event_by_any_id(caller: Any, given: uuid.UUID) -> Event | None:
    """The visible event ``given`` names: its own id, or the id a device gave a report attached to it."""
    visible = events_for(caller)
    event = visible.filter(pk=given).first()
    if event is not None:
        return event
    report = EventReport.objects.filter(submitted_id=given).only("event_id").first()
    return visible.filter(pk=report.event_id).first() if report else None


def report_resolver(ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """For the visibility gate: the event each id a device gave an attached report now belongs to."""
    return dict(EventReport.objects.filter(submitted_id__in=ids).values_list("submitted_id", "event_id"))


def active_category(code: Any) -> EventCategory:
    category = EventCategory.objects.filter(pk=str(code), is_active=True).select_related("family").first()
    if category is None:
        raise ValidationError({"category": [_("Unknown event category %(code)s.") % {"code": code}]})
    return category


def report_references(caller: Any, *, building_id: Any, person_ids: list[Any]) -> tuple[Any, list[uuid.UUID]]:
    """The building and people a report names, through aliases, among the records the caller may see."""
    building = None
    if building_id:
        canonical = (
            registry.resolve_alias(record_type=RecordType.BUILDING, record_id=building_id) or building_id
        )
        building = registry.buildings_for(caller).filter(pk=canonical).first()
        if building is None:
            raise ValidationError({"building_id": [_("No such building among those you may see.")]})
    people: list[uuid.UUID] = []
    if person_ids:
        canonical_ids = [
            registry.resolve_alias(record_type=RecordType.PERSON, record_id=pid) or pid for pid in person_ids
        ]
        found = set(registry.people_for(caller).filter(pk__in=canonical_ids).values_list("pk", flat=True))
        missing = [str(pid) for pid, cid in zip(person_ids, canonical_ids, strict=True) if cid not in found]
        if missing:
            raise ValidationError(
                {
                    "person_ids": [
                        _("No such person among those you may see: %(ids)s") % {"ids": ", ".join(missing)}
                    ]
                }
            )
        people = list(dict.fromkeys(canonical_ids))
    return building, people


def notices_for(caller: Any) -> QuerySet[EventNotice]:
    """Notices owed to the caller's department (a department system or its staff)."""
    role = role_of(caller)
    if role == "department_system":
        return EventNotice.objects.filter(department_id=caller.department_id)
    if role == "department_staff":
        return EventNotice.objects.filter(department__memberships__user=caller)
    if role == "admin":
        return EventNotice.objects.all()
    return EventNotice.objects.none()


def event_photo_visible(user: Any, sha256: str) -> bool:
    """Whether ``user`` may see an event whose report, reports or timeline show the photo ``sha256``."""
    shown = (
        Q(photos__contains=[sha256])
        | Q(pk__in=TimelineEntry.objects.filter(photos__contains=[sha256]).values("event_id"))
        | Q(pk__in=EventReport.objects.filter(photos__contains=[sha256]).values("event_id"))
    )
    return events_for(user).filter(shown).exists()
