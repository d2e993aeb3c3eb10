"""Deriving a patrol's track, figures and plausibility flags from its raw fixes — in one SQL statement.

What is used: fixes with an accuracy of 50 m or better, in ``seq`` order, each later in time than every used
fix before it (so M = epoch seconds strictly increases: ``ST_IsValidTrajectory``). Fixes left out are kept.

- ``track``: the used fixes as a LineStringM, simplified by Douglas–Peucker (``ST_Simplify``, which keeps M)
  in a plane of metres around the track with a tolerance of ``TRACK_MAX_DEVIATION_M``: no used fix lies
  farther than 5 m from the simplified line. ``path`` is the same line in 2D for maps.
- figures: distance on the spheroid (the sum of the steps between consecutive used fixes, each measured
  with the WGS 84 ellipsoid's metres per degree at its latitude, or as a geodesic beyond 100 km); between
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
from ..selectors import patrol_main_grid

MOVING_MPS = 0.3
JUMP_MPS = 120 / 3.6
BUILDING_PASSED_M = 30.0
STILL_RADIUS_M = 25.0
STILL_MIN_FIXES = 10
# Steps up to this long are measured by metres per degree at their latitude; longer ones as geodesics.
FLAT_STEP_LIMIT_M = 100_000.0

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
    -- A step's length: metres per degree of the WGS 84 ellipsoid at the step's latitude, within 0.002 %% of
    -- the geodesic (pyproj's ``Geod``) from a metre to 10 km and within 0.01 %% at 100 km, 70° S to 70° N.
    -- Plain arithmetic: a geodesic per step (PostGIS, GeographicLib) took 20 ms of the 45 of an 8-hour
    -- track. Longer steps (a teleport, a device that was off) get the geodesic itself.
    SELECT CASE WHEN approx > %(flat_m)s
                THEN ST_Distance(ST_MakePoint(plon, plat)::geography, ST_MakePoint(lon, lat)::geography)
                ELSE approx END AS d,
           dt, inside, mock
    FROM (
        SELECT lon, lat, plon, plat,
               sqrt(((CASE WHEN abs(lon - plon) > 180 THEN 360 - abs(lon - plon) ELSE lon - plon END)
                     * (111412.84 * cos(radians((lat + plat) / 2)) - 93.5 * cos(3 * radians((lat + plat) / 2))))^2
                    + ((lat - plat) * (111132.954 - 559.822 * cos(2 * radians((lat + plat) / 2))))^2) AS approx,
               extract(epoch FROM t - pt)::float8 AS dt, inside AND pinside AS inside, mock OR pmock AS mock
        FROM steps WHERE plon IS NOT NULL
    ) step
), segments AS MATERIALIZED (  -- materialised: each step's tests computed once, not once per use below
    SELECT d, dt, inside, mock, d / dt > %(jump)s AS jump, d / dt >= %(moving)s AS moving FROM measured
), figures AS (
    SELECT coalesce(sum(d), 0) AS distance_m,  -- on the spheroid: the sum of the steps between the fixes used
           coalesce(sum(dt) FILTER (WHERE moving AND NOT jump), 0) AS moving_s,
           coalesce(sum(dt) FILTER (WHERE NOT moving), 0) AS idle_s,
           coalesce(sum(dt) FILTER (WHERE inside), 0) AS inside_s,
           coalesce(sum(dt) FILTER (WHERE jump OR mock), 0) AS flagged_s,
           coalesce(sum(dt) FILTER (WHERE moving AND inside AND NOT jump AND NOT mock), 0) AS effective_s,
           count(*) FILTER (WHERE jump) AS jumps
    FROM segments
), line AS (
    SELECT count(*) AS used, count(*) FILTER (WHERE NOT inside) AS outside,
           CASE WHEN count(*) >= 2 THEN
               ST_SetSRID(ST_MakeLine(ST_MakePointM(lon, lat, extract(epoch FROM t)) ORDER BY seq), 4326)
           END AS raw
    FROM kept
), frame AS (
    -- A plane in metres around the track for simplifying and measuring near: x east and y north of its first fix,
    -- scaled by the WGS 84 metres per degree at its middle latitude (a scale error under 0.1 %% within 20 km of
    -- it, like a UTM zone's, with no PROJ transformation to set up per statement).
    SELECT used, outside, raw, lon0, lat0,
           111412.84 * cos(radians(lat0)) - 93.5 * cos(3 * radians(lat0)) AS kx,
           111132.954 - 559.822 * cos(2 * radians(lat0)) AS ky
    FROM line CROSS JOIN LATERAL (
        SELECT ST_X(ST_PointN(raw, 1)) AS lon0, (ST_YMin(raw) + ST_YMax(raw)) / 2 AS lat0) o
), simplified AS (
    SELECT used, outside, raw, lon0, lat0, kx, ky, plane, ST_Simplify(plane, %(tolerance)s, true) AS short
    FROM frame CROSS JOIN LATERAL (
        SELECT ST_SetSRID(ST_Affine(raw, kx, 0, 0, ky, -lon0 * kx, -lat0 * ky), 0) AS plane) p
), passed AS (
    SELECT count(*) AS n FROM registry_building b, simplified s
    WHERE s.short IS NOT NULL AND b.merged_into_id IS NULL
      AND b.location && ST_Expand(ST_Envelope(s.raw), %(margin)s / s.kx, %(margin)s / s.ky)
      AND ST_DWithin(ST_SetSRID(ST_Affine(b.location, s.kx, 0, 0, s.ky, -s.lon0 * s.kx, -s.lat0 * s.ky), 0),
                     ST_Force2D(s.short), %(passed)s)
), counted AS (
    SELECT count(*) AS n FROM operations_checkin WHERE patrol_id = %(id)s AND counted
)
UPDATE operations_patrol SET
    track = t.track, path = ST_Force2D(t.track),
    fixes_used = s.used, distance_m = f.distance_m, moving_s = f.moving_s, idle_s = f.idle_s,
    inside_s = f.inside_s, flagged_s = f.flagged_s, effective_s = f.effective_s,
    buildings_passed = passed.n, checkin_count = counted.n,
    flags = array_remove(ARRAY[
        CASE WHEN f.jumps > 0 THEN 'jump' END,
        CASE WHEN EXISTS (SELECT 1 FROM accurate WHERE t <= latest_before) THEN 'time_backwards' END,
        CASE WHEN EXISTS (SELECT 1 FROM operations_patrolfix WHERE patrol_id = %(id)s AND mock) THEN 'mock' END,
        CASE WHEN (SELECT g FROM area) IS NOT NULL AND s.used > 0 AND s.outside * 2 > s.used THEN 'outside' END,
        CASE WHEN s.used >= %(still_fixes)s
             AND (ST_MinimumBoundingRadius(ST_ConvexHull(ST_Force2D(s.plane)))).radius < %(still_radius)s
             THEN 'never_moves' END
    ]::varchar[], NULL),
    derived_version = operations_patrol.version, derived_at = %(now)s
FROM figures f, simplified s, passed, counted,
     LATERAL (SELECT ST_SetSRID(ST_Affine(s.short, 1 / s.kx, 0, 0, 1 / s.ky, s.lon0, s.lat0), 4326) AS track) t
WHERE operations_patrol.id = %(id)s
"""


def patrol_derive_now(*, patrol_id: uuid.UUID) -> None:
    """Rebuild the derived track, figures and flags of a patrol from its raw fixes, in the caller's transaction
    (one statement), at the patrol's current version."""
    params = {
        "id": patrol_id, "accuracy": FIX_ACCURACY_LIMIT_M, "jump": JUMP_MPS, "moving": MOVING_MPS,
        "tolerance": TRACK_MAX_DEVIATION_M, "margin": BUILDING_PASSED_M + TRACK_MAX_DEVIATION_M,
        "passed": BUILDING_PASSED_M, "flat_m": FLAT_STEP_LIMIT_M, "still_fixes": STILL_MIN_FIXES,
        "still_radius": STILL_RADIUS_M, "now": timezone.now(),
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
    journal_record(record_type="patrol", record_id=patrol_id, change=Change.UPDATED, version=version,
                   grid_id=patrol_main_grid(patrol_id), fields=["track", "figures", "flags"])  # fmt: skip
    return True
