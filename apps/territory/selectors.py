"""Reads of the territory: point location, scopes, and what each caller may see."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.gis.db.models import MultiPolygonField
from django.contrib.gis.geos import Point
from django.db.models import F, Func, Q, QuerySet
from django.utils import timezone

from apps.core.permissions import role_of
from apps.core.principals import Principal

from .models import GridAssignment, Level, TerritoryNode


@dataclass(frozen=True)
class Location:
    """The grid containing a point and its ancestors from the city down."""

    grid: TerritoryNode
    ancestors: list[TerritoryNode]


def grid_locate(*, lon: float, lat: float) -> Location | None:
    """The grid containing (lon, lat) in WGS84 and its ancestors; two indexed queries.

    A point exactly on the line between two grids belongs to the one with the smaller code, so the
    answer is deterministic.
    """
    point = Point(lon, lat, srid=4326)
    grid = (
        TerritoryNode.objects.filter(level=Level.GRID, boundary__intersects=point)
        .defer("boundary")
        .order_by("code")
        .first()
    )
    if grid is None:
        return None
    ancestors = list(
        TerritoryNode.objects.filter(code__in=grid.ancestor_codes).defer("boundary").order_by("path")
    )
    return Location(grid=grid, ancestors=ancestors)


def today() -> dt.date:
    return timezone.localdate()


def active_assignments(*, on: dt.date | None = None) -> QuerySet[GridAssignment]:
    day = on or today()
    return GridAssignment.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


def worker_grids(*, worker: Principal, on: dt.date | None = None) -> QuerySet[TerritoryNode]:
    """Grids the worker serves on ``on`` (today by default)."""
    grid_ids = active_assignments(on=on).filter(worker_id=worker.pk).values("grid_id")
    return TerritoryNode.objects.filter(level=Level.GRID, pk__in=grid_ids)


def descendants_q(path: str, *, prefix: str = "") -> Q:
    """Nodes at or below the node with ``path`` (``prefix`` targets a related node, e.g. ``grid__``)."""
    return Q(**{f"{prefix}path__startswith": path})


def node_scope_q(user: Principal, *, prefix: str = "") -> Q:
    """A filter on territory nodes (or, with ``prefix``, on rows pointing at one) for the caller's scope.

    admin: everything; dispatcher: their territory subtree; grid worker: the grids they serve today;
    anyone else: nothing.
    """
    role = role_of(user)
    if role == "admin":
        return Q()
    territory = getattr(user, "territory", None)
    if role == "dispatcher" and territory is not None:
        return descendants_q(territory.path, prefix=prefix)
    if role == "grid_worker":
        return Q(**{f"{prefix}pk__in": worker_grids(worker=user).values("pk")})
    return Q(pk__in=[])


def grids_visible_to(user: Principal) -> QuerySet[TerritoryNode]:
    """Grids whose records the caller may see."""
    return TerritoryNode.objects.filter(node_scope_q(user), level=Level.GRID)


def nodes_for_map(
    *, nodes: QuerySet[TerritoryNode] | None = None, simplify_m: float | None = None
) -> QuerySet[TerritoryNode]:
    """Nodes with their boundaries for maps (every node by default: boundaries are public).

    ``display_boundary`` is the boundary, simplified on the database side when ``simplify_m`` is given.
    """
    queryset = nodes if nodes is not None else TerritoryNode.objects.all()
    if simplify_m:
        tolerance_deg = simplify_m / 111_320.0
        display = Func(
            Func(F("boundary"), tolerance_deg, function="ST_SimplifyPreserveTopology"),
            function="ST_Multi",
            output_field=MultiPolygonField(srid=4326),
        )
        return queryset.annotate(display_boundary=display)
    return queryset.annotate(display_boundary=F("boundary"))


def assignments_visible_to(user: Principal) -> QuerySet[GridAssignment]:
    """Assignments the caller may see: a worker their own, a dispatcher those in their territory."""
    queryset = GridAssignment.objects.select_related("grid", "worker")
    role = role_of(user)
    if role == "admin":
        return queryset
    territory = getattr(user, "territory", None)
    if role == "dispatcher" and territory is not None:
        return queryset.filter(descendants_q(territory.path, prefix="grid__"))
    if role == "grid_worker":
        return queryset.filter(worker_id=user.pk)
    return queryset.none()
