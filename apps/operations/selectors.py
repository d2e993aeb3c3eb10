"""Reads of operations: what each caller may see of patrols, points, check-ins, visits and tasks."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.territory.models import Level, TerritoryNode
from apps.territory.selectors import node_scope_q

from .models import CheckIn, Patrol, PatrolPoint, ScheduleRule, Task, TaskNotice, Visit


def grids_in_scope(principal: Principal | Any) -> QuerySet[TerritoryNode]:
    """The grids whose operations the caller may see: a worker's grids today, a dispatcher's territory."""
    return TerritoryNode.objects.filter(node_scope_q(principal), level=Level.GRID)


def _is_user(principal: Any) -> bool:
    return role_of(principal) in {"admin", "dispatcher", "grid_worker"}


def patrols_for(principal: Principal | Any) -> QuerySet[Patrol]:
    """A worker their own patrols; a dispatcher the patrols for grids of their territory; an administrator all."""
    role = role_of(principal)
    if role == "admin":
        return Patrol.objects.all()
    if role == "grid_worker":
        return Patrol.objects.filter(worker_id=principal.pk)
    if role == "dispatcher":
        through = Patrol.grids.through
        in_territory = through.objects.filter(
            patrol_id=OuterRef("pk"), territorynode_id__in=grids_in_scope(principal).values("pk")
        )
        return Patrol.objects.filter(Exists(in_territory))
    return Patrol.objects.none()


def patrol_points_for(principal: Principal | Any) -> QuerySet[PatrolPoint]:
    """Points of the grids in the caller's scope."""
    if not _is_user(principal):
        return PatrolPoint.objects.none()
    return PatrolPoint.objects.filter(grid_id__in=grids_in_scope(principal).values("pk"))


def checkins_for(principal: Principal | Any) -> QuerySet[CheckIn]:
    """Check-ins at points the caller may see (a worker: their own)."""
    queryset = CheckIn.objects.filter(point__in=patrol_points_for(principal).values("pk"))
    if role_of(principal) == "grid_worker":
        queryset = queryset.filter(worker_id=principal.pk)
    return queryset


def visits_for(principal: Principal | Any) -> QuerySet[Visit]:
    """Visits in the grids of the caller's scope — the grids of the records they concern — and a worker's own."""
    if not _is_user(principal):
        return Visit.objects.none()
    if role_of(principal) == "admin":
        return Visit.objects.all()
    condition = Q(grid_id__in=grids_in_scope(principal).values("pk"))
    if role_of(principal) == "grid_worker":
        condition |= Q(worker_id=principal.pk)
    return Visit.objects.filter(condition)


def tasks_for(principal: Principal | Any) -> QuerySet[Task]:
    """Tasks of the grids in the caller's scope (workers of the grid, the dispatchers above it)."""
    if not _is_user(principal):
        return Task.objects.none()
    if role_of(principal) == "admin":
        return Task.objects.all()
    return Task.objects.filter(grid_id__in=grids_in_scope(principal).values("pk"))


def task_notices_for(principal: Principal | Any) -> QuerySet[TaskNotice]:
    """The caller's own notices."""
    if not _is_user(principal):
        return TaskNotice.objects.none()
    return TaskNotice.objects.filter(recipient_id=principal.pk)


def schedule_rules_for(principal: Principal | Any) -> QuerySet[ScheduleRule]:
    """Schedule rules: dispatchers and administrators."""
    if role_of(principal) not in {"admin", "dispatcher"}:
        return ScheduleRule.objects.none()
    return ScheduleRule.objects.all()
