"""Routing: which department must handle an event, and why — or the triage queue when nobody can say.

Two indexed queries whatever the size of the territory: one finds the grid containing the point together
with every other grid within the boundary margin (a subquery a report's lock statement also answers), one
reads the routing rules of the grid's ancestors.
"""

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from apps.core.bulk import bound_cursor
from apps.core.rows import Columns
from apps.departments.models import Department
from apps.territory.models import PATH_SEPARATOR, Level, TerritoryNode

from .models import LEVELS, EventCategory, RoutingRule

# Every grid within a radius of the point, as JSON rows [id, code, path, inside, distance_m]: a scalar subquery, so
# that another statement can answer it too (see ``locate_sql``).
_LOCATE_SQL = """
SELECT json_agg(json_build_array(id, code, path, inside, distance_m) ORDER BY inside DESC, distance_m, code)
FROM (SELECT id, code, path, ST_Intersects(boundary, point) AS inside,
             ST_Distance(boundary::geography, point::geography) AS distance_m
      FROM territory_territorynode, ST_SetSRID(ST_MakePoint(%s::float8, %s::float8), 4326) AS point
      WHERE level = %s AND ST_DWithin(boundary, point, %s::float8)) AS hits
"""


@dataclass(frozen=True)
class GridHit:
    id: Any
    code: str
    path: str


@dataclass(frozen=True)
class Placement:
    """Where a point lies: its grid (if any) and the other grids within the boundary margin."""

    grid: GridHit | None
    near: list[tuple[str, float]] = field(default_factory=list)


def _margin(margin_m: float | None) -> float:
    return settings.GRIDAPI_EVENT_BOUNDARY_MARGIN_M if margin_m is None else margin_m


def locate_sql(*, lon: float, lat: float, margin_m: float | None = None) -> tuple[str, list[Any]]:
    """The scalar subquery (SQL, parameters) whose value ``placement_of`` reads: the grids around (lon, lat)."""
    # A degree radius that surely covers the margin in every direction at this latitude; the exact
    # geodesic distance is then measured on the few grids it lets through.
    radius_deg = _margin(margin_m) / (111_000.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.2
    return _LOCATE_SQL, [float(lon), float(lat), Level.GRID.value, radius_deg]


def placement_of(rows: list[list[Any]] | None, *, margin_m: float | None = None) -> Placement:
    """The placement the rows of ``locate_sql`` describe."""
    margin, rows = _margin(margin_m), rows or []
    grid = next((GridHit(uuid.UUID(row[0]), row[1], row[2]) for row in rows if row[3]), None)
    # Every other grid within the margin, including one that also contains the point (on the shared line, or
    # in the small overlaps an import tolerates: 0 m away).
    near = [(row[1], float(row[4]) if not row[3] else 0.0) for row in rows
            if (grid is None or uuid.UUID(row[0]) != grid.id) and (row[3] or row[4] <= margin)]  # fmt: skip
    return Placement(grid=grid, near=near)


def place(*, lon: float, lat: float, margin_m: float | None = None) -> Placement:
    """The grid containing (lon, lat) and the other grids closer than ``margin_m`` metres."""
    sql, params = locate_sql(lon=lon, lat=lat, margin_m=margin_m)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({sql})", params)
        [rows] = cursor.fetchone()
    return placement_of(rows, margin_m=margin_m)


@dataclass(frozen=True)
class Route:
    """The outcome of routing: a department (and the rule that chose it), or triage with the reason."""

    level: str
    department: Any = None
    rule: RoutingRule | None = None
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def triage(self) -> bool:
        return self.department is None


def _path_codes(path: str) -> list[str]:
    return [code for code in path.split(PATH_SEPARATOR) if code]


_RULE, _DEPARTMENT = Columns(RoutingRule, "r"), Columns(Department, "d")
_NODE = Columns(TerritoryNode, "n", defer={"boundary"})  # only the node's path and code are read


def _rules_sql() -> str:
    """The rules of a level for a category or its family at any node of a path, with department and node."""
    return f"""
        SELECT {_RULE.sql}, {_DEPARTMENT.sql}, {_NODE.sql}
          FROM events_routingrule r
          JOIN departments_department d ON d.id = r.department_id
          JOIN territory_territorynode n ON n.id = r.node_id
         WHERE r.level = %s AND n.code = ANY(%s) AND (r.category_id = %s OR r.family_id = %s)
    """  # noqa: S608 - the columns are the models'


def route_by_rules(*, category: EventCategory, level: str, grid_path: str) -> Route:
    """The most specific rule of ``level`` for ``category`` covering the grid at ``grid_path``.

    Deeper nodes win; at the same node a category rule beats a family rule. The database refuses two
    rules of the same kind at the same node and level, so there is never a tie.
    """
    codes = _path_codes(grid_path)
    with bound_cursor() as cursor:
        cursor.execute(_rules_sql(), [level, codes, category.code, category.family_id])
        rows = cursor.fetchall()
    rules = []
    for row in rows:
        rule, end = _RULE.take(row)
        rule.department, end = _DEPARTMENT.take(row, end)
        rule.node, _end = _NODE.take(row, end)
        rules.append(rule)
    if not rules:
        return Route(
            level=level,
            explanation={
                "triage": True,
                "level": level,
                "grid": codes[-1] if codes else None,
                "reason": _("No routing rule for %(category)s at %(level)s level covers this place.")
                % {"category": category.code, "level": level},
            },
        )
    best = max(rules, key=lambda rule: (len(_path_codes(rule.node.path)), rule.category_id is not None))
    department = best.department
    node = best.node
    return Route(
        level=level,
        department=department,
        rule=best,
        explanation={
            "triage": False,
            "rule": str(best.pk),
            "matched_on": "category" if best.category_id else "family",
            "node": node.code,
            "level": level,
            "department": department.code,
            "grid": codes[-1] if codes else None,
            "reason": _("The most specific rule for %(what)s at %(level)s level covering %(node)s.")
            % {"what": best.category_id or best.family_id, "level": level, "node": node.code},
        },
    )


def route_event(
    *,
    category: EventCategory,
    lon: float,
    lat: float,
    level: str | None = None,
    placement: Placement | None = None,
) -> tuple[Placement, Route]:
    """Place the point and route an event of ``category`` there (at ``level``, default the category's); with
    ``placement`` when the caller has already read it (``locate_sql``)."""
    level = level or category.default_level
    placement = placement or place(lon=lon, lat=lat)
    if placement.grid is None:
        return placement, Route(
            level=level, explanation={"triage": True, "level": level, "grid": None,
                                      "reason": _("The point lies outside every grid.")},
        )  # fmt: skip
    if placement.near:
        codes = ", ".join(code for code, _distance in placement.near)
        closest = min(distance for _code, distance in placement.near)
        return placement, Route(
            level=level,
            explanation={
                "triage": True, "level": level, "grid": placement.grid.code,
                "reason": _("The point lies %(distance).0f m from the boundary with %(codes)s; a dispatcher decides.")
                % {"distance": closest, "codes": codes},
            },
        )  # fmt: skip
    return placement, route_by_rules(category=category, level=level, grid_path=placement.grid.path)


def level_above(level: str) -> str | None:
    """The handling level one step up (None above the city)."""
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None
