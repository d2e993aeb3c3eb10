"""Territory nodes as GeoJSON for maps."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.territory.models import TerritoryNode

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client: Callable[[Any], APIClient], worker_of: Callable[..., User]) -> APIClient:
    return api_client(worker_of("HC-XY-XA-01"))


def test_list_is_a_feature_collection_filtered_by_level(
    client: APIClient, territory: dict[str, TerritoryNode]
) -> None:
    response = client.get("/api/v1/territory/nodes/", {"level": "subdistrict"})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in body["features"]) == ["HC-DF", "HC-HC", "HC-SY", "HC-XY"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_list_pages_with_a_cursor_and_caps_page_size(
    client: APIClient, territory: dict[str, TerritoryNode]
) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/territory/nodes/?level=grid&page_size=25"
    while url:
        body = client.get(url).json()
        assert len(body["features"]) <= 25
        seen += [f["properties"]["code"] for f in body["features"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 72
    huge = client.get("/api/v1/territory/nodes/", {"page_size": 100000}).json()
    assert len(huge["features"]) == 90  # capped at 500, and there are 90 nodes


def test_within_filter_returns_a_subtree(client: APIClient, territory: dict[str, TerritoryNode]) -> None:
    body = client.get("/api/v1/territory/nodes/", {"within": "HC-XY-XA"}).json()
    assert len(body["features"]) == 7  # the community and its 6 grids


def test_detail_by_code_with_simplified_geometry(
    client: APIClient, territory: dict[str, TerritoryNode]
) -> None:
    # A jagged boundary: a circle of 400 vertices around a point of 新垵村.
    circle = Point(118.03, 24.50, srid=4326).buffer(0.001, quadsegs=100)
    TerritoryNode.objects.filter(code="HC-XY-XA-02").update(boundary=MultiPolygon(circle, srid=4326))
    full = client.get("/api/v1/territory/nodes/HC-XY-XA-02/").json()
    simple = client.get("/api/v1/territory/nodes/HC-XY-XA-02/", {"simplify": 20}).json()
    count = lambda f: len(f["geometry"]["coordinates"][0][0])  # noqa: E731
    assert full["properties"]["code"] == "HC-XY-XA-02"
    assert count(full) > 400
    assert count(simple) < count(full) / 4
    assert client.get("/api/v1/territory/nodes/HC-XY-XA-02/", {"simplify": -1}).status_code == 400


def test_unknown_code_is_404(client: APIClient, territory: dict[str, TerritoryNode]) -> None:
    assert client.get("/api/v1/territory/nodes/NOPE/").status_code == 404


def test_list_query_count_is_constant(
    client: APIClient, territory: dict[str, TerritoryNode], django_assert_max_num_queries: Any
) -> None:
    client.get("/api/v1/territory/nodes/")  # warm the token's last-seen
    with django_assert_max_num_queries(3):
        client.get("/api/v1/territory/nodes/", {"page_size": 90})
