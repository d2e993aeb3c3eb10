"""Point → grid and ancestors, in WGS84, GCJ-02 or BD-09."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.geo.crs import gcj02_to_bd09, wgs84_to_gcj02
from apps.territory.models import TerritoryNode
from apps.territory.selectors import grid_locate
from tests.conftest import POINT_XA_01

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client: Callable[[Any], APIClient], worker_of: Callable[..., User]) -> APIClient:
    return api_client(worker_of("HC-XY-XA-01"))


def test_locate_returns_grid_and_ancestors(client: APIClient, territory: dict[str, TerritoryNode]) -> None:
    lon, lat = POINT_XA_01
    response = client.get("/api/v1/territory/locate/", {"lon": lon, "lat": lat})
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == "HC-XY-XA-01"
    assert [a["code"] for a in body["ancestors"]] == ["350200", "350205", "HC-XY", "HC-XY-XA"]
    assert [a["level"] for a in body["ancestors"]] == ["city", "district", "subdistrict", "community"]
    assert body["crs"] == "wgs84"


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_locate_converts_chinese_map_coordinates(
    client: APIClient, territory: dict[str, TerritoryNode], crs: str
) -> None:
    lon, lat = POINT_XA_01
    sent = wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        sent = gcj02_to_bd09(*sent)
    response = client.get("/api/v1/territory/locate/", {"lon": sent[0], "lat": sent[1], "crs": crs})
    assert response.status_code == 200
    assert response.json()["grid"]["code"] == "HC-XY-XA-01"
    back = response.json()["point"]["coordinates"]
    assert abs(back[0] - lon) < 1e-5 and abs(back[1] - lat) < 1e-5


def test_unconverted_gcj02_lands_elsewhere(client: APIClient, territory: dict[str, TerritoryNode]) -> None:
    # Near a grid edge, the ~500 m GCJ-02 offset moves a point into another grid: conversion matters.
    lon, lat = 118.0133, 24.5180  # in HC-XY-XA? no: 祥露村 grid; its GCJ-02 twin is in a neighbour
    gcj = wgs84_to_gcj02(lon, lat)
    as_wgs = client.get("/api/v1/territory/locate/", {"lon": gcj[0], "lat": gcj[1]}).json()["grid"]["code"]
    as_gcj = client.get("/api/v1/territory/locate/", {"lon": gcj[0], "lat": gcj[1], "crs": "gcj02"}).json()
    assert as_gcj["grid"]["code"] == grid_locate(lon=lon, lat=lat).grid.code  # type: ignore[union-attr]
    assert as_wgs != as_gcj["grid"]["code"]


def test_outside_every_grid_is_a_clear_404(client: APIClient, territory: dict[str, TerritoryNode]) -> None:
    response = client.get("/api/v1/territory/locate/", {"lon": 116.4, "lat": 39.9})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "116.4" in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 200, "lat": 24},
        {"lon": "east", "lat": 24},
        {"lat": 24},
        {"lon": 118, "lat": 24, "crs": "osgb"},
    ],
)
def test_bad_query_is_400_with_field_errors(client: APIClient, params: dict[str, Any]) -> None:
    response = client.get("/api/v1/territory/locate/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"lon", "lat", "crs"}


def test_point_on_shared_edge_is_deterministic(territory: dict[str, TerritoryNode]) -> None:
    # x = 118.02 is the edge between 祥露村 and 新垵村; the smaller code wins.
    location = grid_locate(lon=118.02, lat=24.49)
    assert location is not None
    assert location.grid.code == min("HC-XY-XA-01", "HC-XY-XL-03")


def test_locate_costs_two_queries(
    territory: dict[str, TerritoryNode], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        location = grid_locate(lon=POINT_XA_01[0], lat=POINT_XA_01[1])
    assert location is not None


def test_locate_uses_the_grid_index(territory: dict[str, TerritoryNode]) -> None:
    from django.db import connection

    queryset = TerritoryNode.objects.filter(
        level="grid", boundary__intersects="SRID=4326;POINT(118.023 24.485)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "Index Scan using territory_territorynode_boundary" in plan


def test_anonymous_cannot_locate(
    api_client: Callable[[Any], APIClient], territory: dict[str, TerritoryNode]
) -> None:
    response = api_client(None).get("/api/v1/territory/locate/", {"lon": 118.02, "lat": 24.49})
    assert response.status_code == 401
    assert response.json()["status"] == 401
