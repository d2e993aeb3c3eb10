"""Visits (入户走访): recorded from devices or REST; each reference checked through the visibility gate; a visit
with outcome ``done`` completes the task it names; reads of visits to people with special tags are logged."""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import attachments_not_referable
from apps.core.principals import Principal
from apps.core.visibility import visible_get, visible_many
from apps.events.models import Event
from apps.journal.models import Change
from apps.journal.services import access_entry, access_log, journal_record
from apps.registry.models import Building, Person
from apps.territory.selectors import worker_grids

from ..inputs import VisitDataSerializer
from ..models import Task, Visit, VisitOutcome
from ..subjects import grid_of_subject, subject_kind
from .common import Outcome, error_dict, validated
from .tasks import task_complete_by_visit

VISIT = "visit"
VISIT_FIELDS = ("kind", "room", "organisation_id", "person_ids", "started_at", "ended_at", "outcome", "notes",
                "photos", "event_ids")  # fmt: skip


def visit_apply(
    *, principal: Principal | Any, record_id: Any, op: str, data: Any, collected_at: dt.datetime | None = None,
    device: str = "",
) -> Outcome:  # fmt: skip
    """Apply one ``visit`` mutation (create, or update of the caller's own visit); never raises for bad input."""
    try:
        return _apply(principal, record_id, op, data)
    except ValidationError as exc:
        return Outcome.rejected(error_dict(exc))


@transaction.atomic
def _apply(principal: Any, record_id: Any, op: str, data: Any) -> Outcome:
    if op not in {"create", "update"}:
        raise ValidationError({"op": [_("Visits are created and updated, never deleted from a device.")]})
    try:
        visit_id = uuid.UUID(str(record_id))
    except ValueError as exc:
        raise ValidationError({"id": [_("Not a valid id.")]}) from exc
    existing = Visit.objects.select_for_update().filter(pk=visit_id).first()
    if existing is not None and existing.worker_id != principal.pk:
        # The same answer as for an id nobody used: it tells nothing of whose visit it is.
        taken = _("This id is already used by another record.")
        raise ValidationError({"id": [_("No such visit among yours.") if op == "update" else taken]})
    if existing is None and op == "update":
        raise ValidationError({"id": [_("No such visit among yours.")]})
    values = validated(VisitDataSerializer, data, partial=existing is not None)
    references = _references(principal, values)
    visit = existing or Visit(id=visit_id, worker=principal)
    changed = {name for name in VISIT_FIELDS if name in values and getattr(visit, name) != values[name]}
    for name in changed:
        setattr(visit, name, values[name])
    for name, record in references.items():
        if getattr(visit, f"{name}_id") != getattr(record, "pk", None):
            setattr(visit, name, record)
            changed.add(name)
    if existing is not None and not changed:
        return Outcome.applied(visit)
    visit.grid_id = _grid_of(principal, visit)
    if visit.building is not None:
        visit.location = visit.building.location
    if existing is not None:
        visit.version += 1
    visit.save()
    journal_record(record_type=VISIT, record_id=visit.pk, change=Change.UPDATED if existing else Change.CREATED,
                   version=visit.version, grid_id=visit.grid_id, fields=sorted(changed), actor=principal)  # fmt: skip
    if visit.outcome == VisitOutcome.DONE and visit.task is not None:
        task_complete_by_visit(task=visit.task, visit=visit, actor=principal)
    return Outcome.applied(visit)


def _references(principal: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The records the visit names, each checked through the gate: a field error for any the caller cannot see."""
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    if values.get("building_id"):
        found["building"] = visible_get(Building, principal, values["building_id"])
        if found["building"] is None:
            errors["building_id"] = [_("No such building among those you may see.")]
    if "building_id" in values and not values["building_id"]:
        found["building"] = None
    if values.get("task_id"):
        found["task"] = visible_get(Task, principal, values["task_id"])
        if found["task"] is None:
            errors["task_id"] = [_("No such task among yours.")]
    for name, model in (("person_ids", Person), ("event_ids", Event)):
        if values.get(name):
            seen, hidden = visible_many(model, principal, values[name])
            if hidden:
                errors[name] = [_("Not among the records you may see: %(ids)s") % {
                    "ids": ", ".join(str(i) for i in hidden)}]  # fmt: skip
            values[name] = list(dict.fromkeys(seen[i] for i in values[name] if i in seen))
    refused = attachments_not_referable(user=principal, hashes=values.get("photos") or [])
    if refused:  # naming a photo makes it readable: only one's own, or one already readable
        errors["photos"] = [
            _("No such photo among those you may see: %(hashes)s") % {"hashes": ", ".join(refused)}
        ]
    if values.get("organisation_id"):
        kind = subject_kind("organisation")
        organisation = visible_get(kind.model, principal, values["organisation_id"]) if kind else None
        if organisation is None:
            errors["organisation_id"] = [_("No such organisation among those you may see.")]
        else:  # the canonical id (an alias or a merged organisation's id resolves)
            values["organisation_id"] = organisation.pk
    if errors:
        raise ValidationError({"data": errors})
    return found


def _grid_of(principal: Any, visit: Visit) -> uuid.UUID | None:
    """The grid of what the visit concerns: its building, else its organisation's, else the task's grid, else the
    first person's, else the worker's first grid."""
    if visit.building is not None and visit.building.grid_id:
        return visit.building.grid_id
    kind = subject_kind("organisation") if visit.organisation_id else None
    organisation_grid = (
        grid_of_subject(kind, visit.organisation_id) if kind and visit.organisation_id else None
    )
    if organisation_grid is not None:
        return organisation_grid
    if visit.task is not None:
        return visit.task.grid_id
    if visit.person_ids:
        grid = (
            Person.objects.filter(pk__in=visit.person_ids)
            .exclude(grid=None)
            .values_list("grid_id", flat=True)
        )
        if first := grid.first():
            return first
    return worker_grids(worker=principal).order_by("code").values_list("pk", flat=True).first()


def visits_access_log(*, user: Any, visits: Iterable[Visit], channel: str) -> None:
    """Log a read of visits that met people with special tags: the visits, and those people (one query, one
    statement) — who was visited, and why, reveals the tag."""
    visits = list(visits)
    people = {pid for visit in visits for pid in visit.person_ids}
    if not people:
        return
    tagged = set(Person.objects.filter(pk__in=people).exclude(tags=[]).values_list("pk", flat=True))
    if not tagged:
        return
    entries = [
        access_entry(
            channel=channel, record_type=VISIT, record_id=visit.pk, fields=["person_ids", "kind"], user=user
        )
        for visit in visits
        if tagged.intersection(visit.person_ids)
    ]
    entries += [
        access_entry(channel=channel, record_type="person", record_id=pid, fields=["visits"], user=user)
        for pid in sorted(tagged)
    ]
    access_log(entries)
