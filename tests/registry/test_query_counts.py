"""Collecting one building costs the same number of queries against 200,000 buildings as against 100."""

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.geo.cells import cell_of
from apps.core.ids import uuid7
from apps.territory.models import TerritoryNode
from tests.registry.conftest import XA, shifted

pytestmark = pytest.mark.django_db

COLUMNS = (
    "id", "created_at", "updated_at", "version", "grid_id", "location", "cell", "alternatives", "address",
    "address_code", "address_norm", "house_number", "block_number", "name", "use",
)  # fmt: skip


def load_buildings(count: int, seed: int) -> None:
    """COPY ``count`` buildings spread over every grid of the demo district (realistic density)."""
    rng = random.Random(seed)
    grids = [
        (grid.pk, grid.name, grid.boundary.extent) for grid in TerritoryNode.objects.filter(level="grid")
    ]
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY registry_building ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for i in range(count):
            grid_id, grid_name, (x0, y0, x1, y1) = grids[i % len(grids)]
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            number = str(1000 + i)
            copy.write_row((
                uuid7(), now, now, 1, grid_id, f"SRID=4326;POINT({lon} {lat})", cell_of(lon, lat), "{}",
                f"{grid_name}{number}号", "", f"{grid_name}{number}号", number, "", "", "",
            ))  # fmt: skip


def queries_to_collect(
    collect_building: Callable[..., Any], point: tuple[float, float], address: str
) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        collect_building(point=point, address=address)
    return [q["sql"].split()[0] for q in captured.captured_queries]


def test_collect_query_count_does_not_grow_with_the_registry(collect_building: Callable[..., Any]) -> None:
    load_buildings(100, seed=1)
    collect_building(address="新垵村529号")
    small_new = queries_to_collect(collect_building, shifted(XA, north_m=150), "新垵村700号")
    small_merge = queries_to_collect(collect_building, shifted(XA, east_m=5), "新垵村529号")

    load_buildings(200_000 - 100, seed=2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_building")
    large_new = queries_to_collect(collect_building, shifted(XA, north_m=-150), "新垵村701号")
    large_merge = queries_to_collect(collect_building, shifted(XA, east_m=-5), "新垵村529号")

    assert len(small_new) == len(large_new) <= 9, large_new
    assert len(small_merge) == len(large_merge) <= 12, large_merge
