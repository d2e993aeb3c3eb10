"""Worker ↔ grid assignments: each change of a worker's grids is journalled (their pull scope moves)."""

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.principals import Principal
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..models import GridAssignment, Level, TerritoryNode

logger = logging.getLogger(__name__)


def _check_assignment(*, worker: Any, grid: TerritoryNode) -> None:
    errors: dict[str, list[str]] = {}
    if getattr(worker, "role", None) != "grid_worker":
        errors["worker"] = [_("Only grid workers can be assigned to grids.")]
    if grid.level != Level.GRID:
        errors["grid"] = [_("Workers are assigned to grids, not to a %(level)s.") % {"level": grid.level}]
    if errors:
        raise ValidationError(errors)


def grid_assignment_create(
    *,
    worker: Any,
    grid: TerritoryNode,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    actor: Principal | None = None,
) -> GridAssignment:
    """Assign a worker to a grid for a period. An overlapping assignment of the same pair is refused."""
    _check_assignment(worker=worker, grid=grid)
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": [_("Must not be before valid_from.")]})
    try:
        with transaction.atomic():
            assignment = GridAssignment.objects.create(
                worker=worker,
                grid=grid,
                valid_from=valid_from,
                valid_to=valid_to,
                created_by_id=actor.pk if actor else None,
            )
            _journal_scope(assignment, actor)
            return assignment
    except IntegrityError as exc:
        if "assignment_no_overlap" in str(exc):
            raise ValidationError(
                {"valid_from": [_("The worker already serves this grid during part of this period.")]}
            ) from exc
        raise


def grid_assignment_end(*, assignment: GridAssignment, valid_to: dt.date) -> GridAssignment:
    """End an assignment on ``valid_to`` (inclusive)."""
    if valid_to < assignment.valid_from:
        raise ValidationError({"valid_to": [_("Must not be before valid_from.")]})
    assignment.valid_to = valid_to
    try:
        with transaction.atomic():
            assignment.save(update_fields=["valid_to", "updated_at"])
            _journal_scope(assignment, None)
    except IntegrityError as exc:
        if "assignment_no_overlap" in str(exc):  # ended later than a later assignment of the pair begins
            raise ValidationError(
                {"valid_to": [_("The worker already serves this grid during part of this period.")]}
            ) from exc
        raise
    return assignment


def _journal_scope(assignment: GridAssignment, actor: Principal | None) -> None:
    """A worker gained or lost a grid: the records of that grid enter or leave their scope."""
    journal_record(
        record_type="assignment", record_id=assignment.pk, change=Change.SCOPE, grid_id=assignment.grid_id,
        actor=actor,
    )  # fmt: skip


def grid_assignments_set(
    *, worker: Any, grid_codes: list[str], valid_from: dt.date, actor: Principal | None = None
) -> list[GridAssignment]:
    """Assign ``worker`` to every grid in ``grid_codes`` from ``valid_from``; grids already served are kept."""
    grids = {grid.code: grid for grid in TerritoryNode.objects.filter(code__in=grid_codes)}
    missing = sorted(set(grid_codes) - set(grids))
    if missing:
        raise ValidationError({"grids": [_("Unknown grid codes: %(codes)s") % {"codes": ", ".join(missing)}]})
    created = []
    with transaction.atomic():
        for code in grid_codes:
            grid = grids[code]
            current = GridAssignment.objects.filter(worker=worker, grid=grid, valid_to__isnull=True).exists()
            if not current:
                created.append(
                    grid_assignment_create(worker=worker, grid=grid, valid_from=valid_from, actor=actor)
                )
    return created
