# ruff: noqa: S608 - the inner query is Django's own SQL of a gated queryset; values travel as parameters
"""What the console's maps draw: open events aggregated on the server, grid boundaries, patrol tracks.

Every read starts from the visibility gate (``visible``) or the apps' selectors, so a dispatcher's map holds
their territory only. Open events are never sent one by one at city scale: the database snaps them to a grid
of cells about 48 screen pixels wide at the map's zoom (``ST_SnapToGrid``) and answers one row per cell —
the count, the overdue and the count per stage — so the answer grows with the screen, not with the events.
Coordinates go out in WGS84, or shifted to GCJ-02 when the deployment's tile layer is a Chinese one
(AMap, Tencent): the offset of several hundred metres is then applied here, once.
"""

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import QuerySet

from apps.core.geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.events.models import OPEN_STATUSES, Event, Status
from apps.operations.models import Patrol, PatrolFlag
from apps.territory.selectors import grids_visible_to, nodes_for_map

CELL_PX = 48  # the side of an aggregation cell on screen
POINTS_FROM_ZOOM = 17  # from this zoom on every event is its own cell
MAX_CELLS = 2000  # a view is never sent more (about 380 KB at most)
WAITING = (Status.REPORTED, Status.ACCEPTED)
HANDLING = (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS)


@dataclass(frozen=True)
class TileLayer:
    """The deployment's base tiles (none by default: intranets draw the grid boundaries only)."""

    url: str
    attribution: str
    crs: str  # "wgs84" or "gcj02": the datum the tiles are drawn in


def tile_layer() -> TileLayer:
    return TileLayer(
        url=settings.GRIDAPI_CONSOLE_TILE_URL,
        attribution=settings.GRIDAPI_CONSOLE_TILE_ATTRIBUTION,
        crs="gcj02" if settings.GRIDAPI_CONSOLE_TILE_CRS == "gcj02" else "wgs84",
    )


def _out(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point as the map draws it (shifted to GCJ-02 over Chinese tiles), rounded to about 1 m."""
    if tile_layer().crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    return round(lon, 5), round(lat, 5)


def bbox_in(bbox: tuple[float, float, float, float]) -> Polygon:
    """The map's view (west, south, east, north, as drawn) as a WGS84 polygon to filter on."""
    west, south, east, north = bbox
    if tile_layer().crs == "gcj02":
        west, south = gcj02_to_wgs84(west, south)
        east, north = gcj02_to_wgs84(east, north)
    return Polygon.from_bbox((west, south, east, north))


def cell_degrees(zoom: int) -> float:
    """The side of an aggregation cell in degrees at ``zoom`` (256-pixel web-mercator tiles)."""
    return 360.0 / (2**zoom) / 256.0 * CELL_PX


def open_events(principal: Principal | Any) -> QuerySet[Event]:
    return visible(Event, principal).filter(status__in=OPEN_STATUSES)


def open_event_cells(
    principal: Principal | Any, *, zoom: int, bbox: tuple[float, float, float, float] | None = None
) -> dict[str, Any]:
    """The caller's open events in ``bbox``, one GeoJSON feature per occupied cell at ``zoom``.

    Each feature carries ``n`` (events), ``overdue``, ``waiting`` (reported/accepted: the triage),
    ``handling`` (dispatched, signed, in progress) and ``handled``, and ``id`` when it holds one event.
    """
    events = open_events(principal)
    if bbox is not None:
        events = events.filter(location__bboverlaps=bbox_in(bbox))
    inner, params = events.values_list("id", "location", "status", "overdue").query.sql_with_params()
    size = 0.0 if zoom >= POINTS_FROM_ZOOM else cell_degrees(zoom)
    key = "e.id::text" if size == 0.0 else "ST_SnapToGrid(e.location, %s)"
    sql = f"""
        SELECT ST_X(c), ST_Y(c), n, overdue, waiting, handling, one FROM (
            SELECT ST_Centroid(ST_Collect(e.location)) AS c, count(*) AS n,
                   count(*) FILTER (WHERE e.overdue) AS overdue,
                   count(*) FILTER (WHERE e.status = ANY(%s)) AS waiting,
                   count(*) FILTER (WHERE e.status = ANY(%s)) AS handling,
                   CASE WHEN count(*) = 1 THEN min(e.id::text) END AS one
            FROM ({inner}) AS e GROUP BY {key} LIMIT %s
        ) AS cells"""
    # Parameters in the order they appear: the inner query's, then the stages, the cell size, the limit.
    args = [
        [str(s) for s in WAITING],
        [str(s) for s in HANDLING],
        *params,
        *([] if size == 0.0 else [size]),
        MAX_CELLS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    features = []
    for lon, lat, n, overdue, waiting, handling, one in rows:
        props = {"n": n, "overdue": overdue, "waiting": waiting, "handling": handling,
                 "handled": n - waiting - handling}  # fmt: skip
        if one:
            props["id"] = one
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _out(lon, lat)},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell_degrees": size,
        "truncated": len(rows) >= MAX_CELLS,
    }


def _shift(coordinates: Any) -> Any:
    if coordinates and isinstance(coordinates[0], int | float):
        return list(_out(coordinates[0], coordinates[1]))
    return [_shift(part) for part in coordinates]


def grid_boundaries(principal: Principal | Any, *, simplify_m: float = 5.0) -> dict[str, Any]:
    """The grids of the caller's scope, simplified, as GeoJSON (the map's base layer)."""
    grids = nodes_for_map(nodes=grids_visible_to(principal), simplify_m=simplify_m).annotate(
        shape=AsGeoJSON("display_boundary", precision=5)
    )
    features = [
        {"type": "Feature", "geometry": {**(geometry := json.loads(shape)), "coordinates": _shift(geometry["coordinates"])},
         "properties": {"code": code, "name": name}}
        for code, name, shape in grids.values_list("code", "name", "shape")
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def patrols_of_day(principal: Principal | Any, day: dt.date, *, limit: int = 500) -> list[Patrol]:
    """The caller's patrols that started on ``day`` (in the server's time zone), with their derived track."""
    patrols: list[Patrol] = list(
        visible(Patrol, principal)
        .filter(started_at__date=day)
        .select_related("worker")
        .annotate(shape=AsGeoJSON("path", precision=5))
        .order_by("started_at")[:limit]
    )
    for patrol in patrols:
        patrol.flag_labels = [PatrolFlag(flag).label for flag in patrol.flags]  # type: ignore[attr-defined]
    return patrols


def patrol_features(patrols: Iterable[Any]) -> dict[str, Any]:
    """The tracks of ``patrols`` as GeoJSON lines, flagged ones marked."""
    features = []
    for patrol in patrols:
        if not patrol.shape:
            continue
        geometry = json.loads(patrol.shape)
        geometry["coordinates"] = _shift(geometry["coordinates"])
        features.append(
            {"type": "Feature", "geometry": geometry,
             "properties": {"id": str(patrol.pk), "worker": str(patrol.worker), "flags": list(patrol.flags)}}
        )  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
