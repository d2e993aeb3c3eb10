"""Deriving a patrol's track, figures and plausibility flags from its raw fixes — in one SQL statement.

What is used: fixes with an accuracy of 50 m or better, in ``seq`` order, each later in time than every used
fix before it (so M = epoch seconds strictly increases: ``ST_IsValidTrajectory``). Fixes left out are kept.

- ``track``: the used fixes as a LineStringM, simplified by Douglas–Peucker (``ST_Simplify``, which keeps M)
  in the fixes' UTM zone with a tolerance of ``TRACK_MAX_DEVIATION_M``: no used fix lies farther than 5 m
  from the simplified line. ``path`` is the same line in 2D for maps.
- figures: distance on the spheroid (the geodesic length of the line through the used fixes); between
  consecutive used fixes, moving (≥ 0.3 m/s) and idle time, time inside the assigned grids (both ends
  inside); buildings within 30 m of the track, check-ins.
- flags: a step faster than 120 km/h (``jump``), time going backwards among accurate fixes, any fix the
  device marked ``mock``, more than half of the used fixes outside the grids, a track of ten fixes or more
  that stays within a circle of 25 m (``never_moves``; the smallest circle around the fixes is the one around
  their convex hull, a few dozen vertices: GEOS took 0.4 s on the 5,760 fixes of a walk, 2 ms on the hull).
  Steps that jump or touch a mock fix are flagged time; effective time is moving time inside the grids
  outside flagged steps.

An 8-hour track (5,760 fixes) is derived in tens of milliseconds, all on the database side.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from apps.core.bulk import bound_cursor
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..models import FIX_ACCURACY_LIMIT_M, TRACK_MAX_DEVIATION_M, Patrol

MOVING_MPS = 0.3
JUMP_MPS = 120 / 3.6
BUILDING_PASSED_M = 30.0
STILL_RADIUS_M = 25.0
STILL_MIN_FIXES = 10

DERIVE_SQL = """
WITH area AS (
    SELECT ST_Union(n.boundary) AS g
    FROM operations_patrol_grids pg JOIN territory_territorynode n ON n.id = pg.territorynode_id
    WHERE pg.patrol_id = %(id)s
), accurate AS (
    SELECT seq, t, lon, lat, mock,
           max(t) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_before
    FROM operations_patrolfix
    WHERE patrol_id = %(id)s AND (accuracy_m IS NULL OR accuracy_m <= %(accuracy)s)
), kept AS (
    SELECT a.seq, a.t, a.lon, a.lat, a.mock, p.g, coalesce(ST_Intersects(area.g, p.g), false) AS inside
    FROM accurate a CROSS JOIN area
    CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326) AS g) p
    WHERE a.latest_before IS NULL OR a.t > a.latest_before
), steps AS (
    SELECT t, lon, lat, inside, mock, lag(lon) OVER w AS plon, lag(lat) OVER w AS plat, lag(t) OVER w AS pt,
           lag(inside) OVER w AS pinside, lag(mock) OVER w AS pmock
    FROM kept WINDOW w AS (ORDER BY seq)
), measured AS MATERIALIZED (
    -- A step's length to tell walking from standing and from a jump: metres per degree of the WGS 84 ellipsoid
    -- at the step's latitude (within 0.01 %% of the geodesic over the tens of metres between fixes). Plain
    -- arithmetic: a PostGIS distance per step (geodesic or spherical alike) cost 60 ms on an 8-hour track. The
    -- patrol's distance is the geodesic length of the whole line (``walked`` below).
    SELECT sqrt(((CASE WHEN abs(lon - plon) > 180 THEN 360 - abs(lon - plon) ELSE lon - plon END)
                 * (111412.84 * cos(radians((lat + plat) / 2)) - 93.5 * cos(3 * radians((lat + plat) / 2))))^2
                + ((lat - plat) * (111132.954 - 559.822 * cos(2 * radians((lat + plat) / 2))))^2) AS d,
           extract(epoch FROM t - pt)::float8 AS dt, inside AND pinside AS inside, mock OR pmock AS mock
    FROM steps WHERE plon IS NOT NULL
), segments AS MATERIALIZED (  -- materialised: each step's tests computed once, not once per use below
    SELECT dt, inside, mock, d / dt > %(jump)s AS jump, d / dt >= %(moving)s AS moving FROM measured
), walked AS (  -- the distance on the spheroid: the geodesic length of the line through the fixes used
    SELECT coalesce(ST_Length(ST_MakeLine(g ORDER BY seq)::geography), 0) AS distance_m FROM kept
), figures AS (
    SELECT coalesce(sum(dt) FILTER (WHERE moving AND NOT jump), 0) AS moving_s,
           coalesce(sum(dt) FILTER (WHERE NOT moving), 0) AS idle_s,
           coalesce(sum(dt) FILTER (WHERE inside), 0) AS inside_s,
           coalesce(sum(dt) FILTER (WHERE jump OR mock), 0) AS flagged_s,
           coalesce(sum(dt) FILTER (WHERE moving AND inside AND NOT jump AND NOT mock), 0) AS effective_s,
           count(*) FILTER (WHERE jump) AS jumps
    FROM segments
), line AS (
    SELECT count(*) AS used, count(*) FILTER (WHERE NOT inside) AS outside,
           CASE WHEN count(*) >= 2 THEN
               ST_SetSRID(ST_MakeLine(ST_MakePointM(ST_X(g), ST_Y(g), extract(epoch FROM t)) ORDER BY seq), 4326)
           END AS raw
    FROM kept
), projected AS (
    SELECT used, outside, z.srid, ST_Transform(raw, z.srid) AS utm
    FROM line CROSS JOIN LATERAL (
        SELECT CASE WHEN ST_Y(ST_PointN(raw, 1)) >= 0 THEN 32600 ELSE 32700 END
               + floor((ST_X(ST_PointN(raw, 1)) + 180) / 6)::int + 1 AS srid) z
), simplified AS (
    SELECT used, outside, srid, utm, ST_Simplify(utm, %(tolerance)s, true) AS short FROM projected
), passed AS (
    SELECT count(*) AS n FROM registry_building b, simplified s
    WHERE s.short IS NOT NULL AND b.merged_into_id IS NULL
      AND b.location && ST_Expand(ST_Envelope(ST_Transform(ST_Force2D(s.short), 4326)), %(margin_deg)s)
      AND ST_DWithin(ST_Transform(b.location, s.srid), ST_Force2D(s.short), %(passed)s)
), counted AS (
    SELECT count(*) AS n FROM operations_checkin WHERE patrol_id = %(id)s AND counted
)
UPDATE operations_patrol SET
    track = ST_Transform(s.short, 4326),
    path = ST_Force2D(ST_Transform(s.short, 4326)),
    fixes_used = s.used, distance_m = w.distance_m, moving_s = f.moving_s, idle_s = f.idle_s,
    inside_s = f.inside_s, flagged_s = f.flagged_s, effective_s = f.effective_s,
    buildings_passed = passed.n, checkin_count = counted.n,
    flags = array_remove(ARRAY[
        CASE WHEN f.jumps > 0 THEN 'jump' END,
        CASE WHEN EXISTS (SELECT 1 FROM accurate WHERE t <= latest_before) THEN 'time_backwards' END,
        CASE WHEN EXISTS (SELECT 1 FROM operations_patrolfix WHERE patrol_id = %(id)s AND mock) THEN 'mock' END,
        CASE WHEN (SELECT g FROM area) IS NOT NULL AND s.used > 0 AND s.outside * 2 > s.used THEN 'outside' END,
        CASE WHEN s.used >= %(still_fixes)s
             AND (ST_MinimumBoundingRadius(ST_ConvexHull(ST_Force2D(s.utm)))).radius < %(still_radius)s
             THEN 'never_moves' END
    ]::varchar[], NULL),
    derived_version = operations_patrol.version, derived_at = %(now)s
FROM figures f, walked w, simplified s, passed, counted
WHERE operations_patrol.id = %(id)s
"""


def patrol_derive_now(*, patrol_id: uuid.UUID) -> None:
    """Rebuild the derived track, figures and flags of a patrol from its raw fixes, in the caller's transaction
    (one statement), at the patrol's current version."""
    params = {
        "id": patrol_id, "accuracy": FIX_ACCURACY_LIMIT_M, "jump": JUMP_MPS, "moving": MOVING_MPS,
        "tolerance": TRACK_MAX_DEVIATION_M, "margin_deg": (BUILDING_PASSED_M + TRACK_MAX_DEVIATION_M) / 90_000,
        "passed": BUILDING_PASSED_M, "still_fixes": STILL_MIN_FIXES, "still_radius": STILL_RADIUS_M,
        "now": timezone.now(),
    }  # fmt: skip
    with bound_cursor() as cursor:
        cursor.execute(DERIVE_SQL, params)


class PatrolBusyError(Exception):
    """A chunk of the patrol is being written right now: derive it again once that chunk has committed."""


@transaction.atomic
def patrol_derive(*, patrol_id: uuid.UUID) -> bool:
    """Bring a running patrol's derived track up to date with the chunks received (a new version, journalled
    so pulls carry it). Does nothing when it is up to date; raises ``PatrolBusyError`` (the task retries) when
    a chunk is being written right now: chunks arriving while a derivation is pending do not ask for another, so
    this one must not give up. Returns whether it derived."""
    patrol = (
        Patrol.objects.select_for_update(skip_locked=True)
        .only("id", "version", "derived_version")
        .filter(pk=patrol_id)
        .first()
    )
    if patrol is None:
        if Patrol.objects.filter(pk=patrol_id).exists():
            raise PatrolBusyError(str(patrol_id))
        return False
    if patrol.derived_version >= patrol.version:
        return False
    version = patrol.version + 1
    Patrol.objects.filter(pk=patrol_id).update(version=version)
    patrol_derive_now(patrol_id=patrol_id)
    grid_id = patrol.grids.order_by("code").values_list("pk", flat=True).first()
    journal_record(record_type="patrol", record_id=patrol_id, change=Change.UPDATED, version=version,
                   grid_id=grid_id, fields=["track", "figures", "flags"])  # fmt: skip
    return True
