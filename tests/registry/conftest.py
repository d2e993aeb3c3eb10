"""Helpers for registry tests: payloads at real places of the demo territory."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.geo.crs import metres_to_degrees
from apps.core.identity import check_character
from apps.registry.services import ObservationMeta, building_collect, person_collect

# 新垵村 grid 01 (HC-XY-XA-01) spans 118.020–118.0267 × 24.48–24.52; 海虹社区 grid 01 is elsewhere.
XA = (118.0230, 24.4850)
HH = (118.0550, 24.4350)


def shifted(point: tuple[float, float], east_m: float = 0.0, north_m: float = 0.0) -> tuple[float, float]:
    dlon, dlat = metres_to_degrees(1.0, point[1])
    return point[0] + east_m * dlon, point[1] + north_m * dlat


def geo(point: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(point)}


def id_number(birth: str = "19900307", seq: str = "123", area: str = "350205") -> str:
    first17 = area + birth + seq
    return first17 + check_character(first17)


@pytest.fixture
def worker(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-XY-XA-01")


@pytest.fixture
def client(api_client: Callable[[Any], APIClient], worker: User) -> APIClient:
    return api_client(worker)


@pytest.fixture
def collect_building(worker: User) -> Callable[..., Any]:
    def collect(point: tuple[float, float] = XA, collector: User | None = None, **data: Any) -> Any:
        data.setdefault("address", "新垵村529号")
        meta = ObservationMeta(collector=collector or worker, location=_point(point))
        return building_collect(data=data, meta=meta, payload=data)

    return collect


@pytest.fixture
def collect_person(worker: User) -> Callable[..., Any]:
    def collect(point: tuple[float, float] | None = XA, collector: User | None = None, **data: Any) -> Any:
        meta = ObservationMeta(collector=collector or worker, location=_point(point) if point else None)
        return person_collect(data=data, meta=meta, payload={k: str(v) for k, v in data.items()})

    return collect


def _point(point: tuple[float, float]) -> Any:
    from django.contrib.gis.geos import Point

    return Point(*point, srid=4326)
