"""Patrol points (巡更点): defined by dispatchers in the grids of their territory."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.principals import Principal
from apps.journal.models import Change
from apps.journal.services import journal_record
from apps.territory.models import TerritoryNode

from ..models import PatrolPoint
from ..selectors import grids_in_scope

PATROL_POINT = "patrol_point"
EDITABLE = ("name", "location", "radius_m", "methods", "schedule", "active")


def _grid(actor: Any, code: str) -> TerritoryNode:
    grid = grids_in_scope(actor).filter(code=code).defer("boundary").first()
    if grid is None:
        raise ValidationError({"grid": [_("No such grid in your territory.")]})
    return grid


@transaction.atomic
def patrol_point_create(*, actor: Principal | Any, grid_code: str, **fields: Any) -> PatrolPoint:
    grid = _grid(actor, grid_code)
    point = PatrolPoint.objects.create(
        grid=grid, created_by_id=actor.pk, **{k: fields[k] for k in EDITABLE if k in fields}
    )
    journal_record(record_type=PATROL_POINT, record_id=point.pk, change=Change.CREATED, version=point.version,
                   grid_id=grid.pk, fields=sorted(fields), actor=actor)  # fmt: skip
    return point


@transaction.atomic
def patrol_point_update(
    *, point: PatrolPoint, actor: Principal | Any, changes: dict[str, Any]
) -> PatrolPoint:
    point = PatrolPoint.objects.select_for_update().get(pk=point.pk)
    previous = point.grid_id
    if "grid_code" in changes:
        point.grid = _grid(actor, changes.pop("grid_code"))
    for name in EDITABLE:
        if name in changes:
            setattr(point, name, changes[name])
    point.version += 1
    point.save()
    journal_record(record_type=PATROL_POINT, record_id=point.pk, change=Change.UPDATED, version=point.version,
                   grid_id=point.grid_id, previous_grid_id=previous, fields=sorted(changes), actor=actor)  # fmt: skip
    return point
