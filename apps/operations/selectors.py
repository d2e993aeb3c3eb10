"""Reads of operations: what each caller may see of patrols, points, check-ins, visits and tasks."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

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


def patrol_main_grid(patrol_id: Any) -> Any:
    """The grid a patrol's journal entries name: the first of its grids by code (the chunk's lock statement,
    ``services.patrols``, reads the same in SQL)."""
    through = Patrol.grids.through.objects.filter(patrol_id=patrol_id)
    return through.order_by("territorynode__code").values_list("territorynode_id", flat=True).first()


def patrol_track_points(patrol_id: Any, *, raw: bool = False) -> list[tuple[float, float, float]]:
    """(lon, lat, epoch seconds) of the derived track's vertices — or, with ``raw``, of every raw fix in seq order."""
    if raw:
        sql = ("SELECT lon, lat, extract(epoch FROM t)::float8 FROM operations_patrolfix WHERE patrol_id = %s "
               "ORDER BY seq")  # fmt: skip
    else:
        sql = ("SELECT ST_X(d.geom), ST_Y(d.geom), ST_M(d.geom) FROM operations_patrol p, "
               "ST_DumpPoints(p.track) d WHERE p.id = %s ORDER BY d.path")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [patrol_id])
        return [(float(x), float(y), float(m)) for x, y, m in cursor.fetchall()]


@dataclass(frozen=True)
class MissedCheck:
    """A window of a point's schedule that passed without a counted check-in (漏巡)."""

    point_id: Any
    name: str
    grid_code: str
    window_start: dt.datetime
    window_end: dt.datetime


MISSED_SQL = """
SELECT p.id, p.name, g.code, w.start AT TIME ZONE %(zone)s, (w.start + s.step) AT TIME ZONE %(zone)s
FROM operations_patrolpoint p
JOIN territory_territorynode g ON g.id = p.grid_id
CROSS JOIN LATERAL (SELECT CASE p.schedule WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END
                    AS unit) u
CROSS JOIN LATERAL (SELECT ('1 ' || u.unit)::interval AS step) s
CROSS JOIN LATERAL generate_series(
    greatest(date_trunc(u.unit, %(since)s::timestamp), date_trunc(u.unit, p.created_at AT TIME ZONE %(zone)s)),
    %(until)s::timestamp, s.step) AS w(start)
WHERE p.id = ANY(%(points)s::uuid[]) AND p.active AND p.schedule <> 'none'
  AND w.start + s.step <= %(now)s::timestamp
  AND NOT EXISTS (
      SELECT 1 FROM operations_checkin c
      WHERE c.point_id = p.id AND c.counted
        AND c.t >= w.start AT TIME ZONE %(zone)s AND c.t < (w.start + s.step) AT TIME ZONE %(zone)s)
ORDER BY w.start, g.code, p.name
LIMIT %(limit)s
"""


def missed_checks(
    principal: Principal | Any, *, since: dt.date, until: dt.date, limit: int = 1000
) -> list[MissedCheck]:
    """Windows (days, weeks from Monday, months; Asia/Shanghai) between ``since`` and ``until`` that ended
    without a counted check-in at a scheduled point the caller may see — one query for all points."""
    points = [str(pk) for pk in patrol_points_for(principal).values_list("pk", flat=True)]
    if not points:
        return []
    zone = settings.TIME_ZONE
    now = timezone.localtime().replace(tzinfo=None)
    params: dict[str, Any] = {
        "zone": zone,
        "since": since,
        "until": until,
        "now": now,
        "points": points,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(MISSED_SQL, params)
        return [MissedCheck(*row) for row in cursor.fetchall()]
