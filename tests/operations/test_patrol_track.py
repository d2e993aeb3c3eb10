"""The derived track and figures of a patrol: distance, simplification bound, M, flags and effective time."""

import itertools
import uuid
from typing import Any

import pytest
from django.db import connection
from pyproj import Geod

from apps.operations.models import TRACK_MAX_DEVIATION_M, Patrol
from tests.operations.conftest import ORIGIN, offset, send, walk

pytestmark = pytest.mark.django_db


def finished(worker: Any, points: list[dict[str, Any]], **data: Any) -> Patrol:
    """A patrol sent as one chunk that ends it (a finished patrol is derived at once)."""
    patrol_id = uuid.uuid4()
    outcome = send(worker, patrol_id, points, op="create", ended_at=points[-1]["t"], **data)
    assert outcome.status == "applied", outcome.errors
    return Patrol.objects.get(pk=patrol_id)


def scalar(sql: str, *params: Any) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_distance_is_within_half_a_percent_of_pyprojs_geod_on_the_raw_fixes(worker: Any) -> None:
    points = walk(600)
    patrol = finished(worker, points)
    reference = Geod(ellps="WGS84").line_length([p["lon"] for p in points], [p["lat"] for p in points])
    assert reference > 3000
    assert abs(patrol.distance_m - reference) / reference < 0.005


def test_a_step_of_thousands_of_kilometres_is_measured_as_a_geodesic(worker: Any) -> None:
    # Steps are measured by metres per degree at their latitude up to 100 km; a device that was off (or a
    # teleport) makes a longer one, measured on the spheroid like the rest.
    points = walk(60)
    for point in points[30:]:
        point["lon"], point["lat"] = point["lon"] + 20.0, point["lat"] + 25.0  # 3,274 km away, walking on
    patrol = finished(worker, points)
    reference = Geod(ellps="WGS84").line_length([p["lon"] for p in points], [p["lat"] for p in points])
    assert reference > 3_000_000
    # By metres per degree at the middle latitude the step would be 0.7 % longer.
    assert abs(patrol.distance_m - reference) / reference < 0.0001
    assert "jump" in patrol.flags


def test_no_used_fix_lies_farther_than_the_stated_deviation_from_the_simplified_track(worker: Any) -> None:
    patrol = finished(worker, walk(600))
    vertices = scalar("SELECT ST_NPoints(track) FROM operations_patrol WHERE id = %s", patrol.pk)
    assert 2 < vertices < 600 / 3  # simplified, not a straight line either
    farthest = scalar(
        "SELECT max(ST_Distance(ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326)::geography, p.path::geography)) "
        "FROM operations_patrolfix f JOIN operations_patrol p ON p.id = f.patrol_id WHERE p.id = %s",
        patrol.pk,
    )
    assert TRACK_MAX_DEVIATION_M == 5.0
    assert 1.0 < farthest <= TRACK_MAX_DEVIATION_M + 0.05  # the bound is used, and holds on the spheroid


def test_m_is_epoch_seconds_strictly_increasing(worker: Any) -> None:
    points = walk(300)
    points[120]["t"], points[121]["t"] = points[121]["t"], points[120]["t"]  # one fix goes back in time
    patrol = finished(worker, points)
    assert scalar("SELECT ST_IsValidTrajectory(track) FROM operations_patrol WHERE id = %s", patrol.pk)
    measures = [float(vertex.split()[2]) for vertex in patrol.track.split("(")[1].rstrip(")").split(",")]
    assert all(b > a for a, b in itertools.pairwise(measures))
    assert measures[0] == scalar("SELECT extract(epoch FROM %s::timestamptz)", points[0]["t"])


def test_inaccurate_fixes_are_kept_but_left_out_of_the_geometry(worker: Any) -> None:
    points = walk(100)
    for point in points[40:50]:
        point["accuracy_m"] = 80.0
        point["lon"] += 0.01  # a kilometre off: it would be a jump if it were used
    patrol = finished(worker, points)
    assert (patrol.fix_count, patrol.fixes_used) == (100, 90)
    assert patrol.flags == []


def crafted(kind: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    points = walk(200)
    data: dict[str, Any] = {}
    if kind == "jump":
        points[100]["lon"], points[100]["lat"] = offset(points[100]["lon"], points[100]["lat"], 2000, 0)
    elif kind == "time_backwards":
        points[100]["t"], points[101]["t"] = points[101]["t"], points[100]["t"]
    elif kind == "mock":
        for point in points[50:80]:
            point["mock"] = True
    elif kind == "outside":
        points = walk(200, origin=offset(*ORIGIN, 0, 5000))  # in grid 04, north of the assigned grid 01
        data["grid_codes"] = ["HC-XY-XA-01"]
    elif kind == "never_moves":
        points = walk(200, speed=0.0, meander=0.0)
    return points, data


@pytest.mark.parametrize("flag", ["jump", "time_backwards", "mock", "outside", "never_moves"])
def test_each_flag_is_raised_by_its_crafted_track(flag: str, worker_of: Any) -> None:
    worker = worker_of("HC-XY-XA-01", "HC-XY-XA-04")
    points, data = crafted(flag)
    patrol = finished(worker, points, **data)
    assert patrol.flags == [flag]


def test_a_clean_track_raises_no_flag_and_its_moving_time_is_all_effective(worker: Any) -> None:
    patrol = finished(worker, walk(200))
    assert patrol.flags == []
    assert patrol.moving_s == pytest.approx(199 * 5)
    assert patrol.effective_s == patrol.moving_s == patrol.inside_s
    assert patrol.idle_s == patrol.flagged_s == 0


@pytest.mark.parametrize("flag", ["jump", "mock"])
def test_flagged_time_is_not_effective_time(flag: str, worker: Any) -> None:
    clean = finished(worker, walk(200))
    points, _ = crafted(flag)
    patrol = finished(worker, points)
    assert patrol.flagged_s > 0
    assert patrol.effective_s == pytest.approx(clean.effective_s - patrol.flagged_s)


def test_time_outside_the_grids_is_not_effective(worker_of: Any) -> None:
    worker = worker_of("HC-XY-XA-01", "HC-XY-XA-04")
    points, data = crafted("outside")
    patrol = finished(worker, points, **data)
    assert patrol.moving_s > 0
    assert patrol.inside_s == patrol.effective_s == 0


def test_idle_time_is_counted_apart_from_moving_time(worker: Any) -> None:
    moving = walk(100)
    points = moving + walk(
        60, start_seq=100, speed=0.0, meander=0.0, origin=(moving[-1]["lon"], moving[-1]["lat"])
    )
    patrol = finished(worker, points)
    assert patrol.flags == []
    assert patrol.idle_s >= 59 * 5
    assert patrol.moving_s == pytest.approx(99 * 5)
