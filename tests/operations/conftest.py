"""Fixtures of the operations tests: a worker of 新垵村 grid 01 and tracks crafted inside it."""

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest

# 新垵村 grid 01 (HC-XY-XA-01) spans lon 118.020–118.02667, lat 24.48–24.52.
ORIGIN = (118.0225, 24.4850)
START = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
METRES_PER_DEG_LAT = 110_950.0
METRES_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN[1]))


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / METRES_PER_DEG_LON, lat + north_m / METRES_PER_DEG_LAT


def walk(n: int, *, step_s: float = 5.0, speed: float = 1.2, origin: tuple[float, float] = ORIGIN,
         start_seq: int = 0, meander: float = 150.0, **overrides: Any) -> list[dict[str, Any]]:  # fmt: skip
    """A zig-zag walk north through the grid at ``speed`` m/s, one fix per ``step_s`` seconds."""
    points = []
    for i in range(start_seq, start_seq + n):
        north = i * step_s * speed
        east = meander * math.sin(i / 40)  # a gentle meander: the simplification has something to keep
        lon, lat = offset(*origin, east, north % 4000)
        points.append({"seq": i, "t": (START + dt.timedelta(seconds=i * step_s)).isoformat(), "lon": lon,
                       "lat": lat, "accuracy_m": 6.0, "speed_mps": speed, "provider": "gps", "mock": False,
                       **overrides})  # fmt: skip
    return points


def send(
    worker: Any, patrol_id: Any, points: list[dict[str, Any]], *, op: str = "update", **data: Any
) -> Any:
    """One patrol mutation through the service the push calls."""
    from apps.operations.services import patrol_apply

    body = {"points": points, **data}
    if op == "create":
        body.setdefault("started_at", START.isoformat())
    return patrol_apply(principal=worker, record_id=patrol_id, op=op, data=body)


@pytest.fixture
def worker(worker_of: Callable[..., Any]) -> Any:
    return worker_of("HC-XY-XA-01")


@pytest.fixture
def person_in(territory: Any) -> Callable[..., Any]:
    """A canonical person living in a grid, with tags."""
    from django.contrib.gis.geos import Point

    from apps.registry.models import Person

    def make(code: str = "HC-XY-XA-01", tags: list[str] | None = None, name: str = "林阿婆") -> Any:
        return Person.objects.create(name=name, name_key="lin a po", grid=territory[code], tags=tags or [],
                                     location=Point(*ORIGIN, srid=4326))  # fmt: skip

    return make


@pytest.fixture
def building_in(territory: Any) -> Callable[..., Any]:
    """A canonical building in a grid."""
    from django.contrib.gis.geos import Point

    from apps.registry.models import Building

    def make(code: str = "HC-XY-XA-01", use: str = "rental", at: tuple[float, float] = ORIGIN) -> Any:
        return Building.objects.create(address="新垵村1号", address_norm="新垵村1号", grid=territory[code], use=use,
                                       location=Point(*at, srid=4326))  # fmt: skip

    return make
