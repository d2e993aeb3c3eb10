"""The demo district: plausible, complete, tiling without gaps or overlaps, loadable twice."""

from io import StringIO
from typing import Any

import pytest
import shapely
from django.core.management import call_command
from shapely.ops import unary_union

from apps.accounts.models import Role, User
from apps.demo.territory import haicang_features
from apps.departments.models import Department
from apps.registry.models import Building, Person, Residence
from apps.territory.models import GridAssignment, TerritoryNode

pytestmark = pytest.mark.django_db


def test_demo_territory_shape() -> None:
    features = haicang_features()["features"]
    by_level: dict[str, list[Any]] = {}
    for f in features:
        by_level.setdefault(f["properties"]["level"], []).append(f)
    assert len(by_level["subdistrict"]) == 4
    assert {f["properties"]["name"] for f in by_level["subdistrict"]} == {
        "海沧街道",
        "新阳街道",
        "嵩屿街道",
        "东孚街道",
    }
    assert len(by_level["community"]) >= 12
    assert {"新垵村", "渐美村", "海虹社区"} <= {f["properties"]["name"] for f in by_level["community"]}
    assert len(by_level["grid"]) >= 60


def test_grids_tile_each_community_without_gaps_or_overlaps() -> None:
    features = haicang_features()["features"]
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in features}
    for community in (f for f in features if f["properties"]["level"] == "community"):
        code = community["properties"]["code"]
        grids = [shapes[f["properties"]["code"]] for f in features if f["properties"]["parent"] == code]
        union = unary_union(grids)
        assert union.symmetric_difference(shapes[code]).area < 1e-12, code
        assert abs(sum(g.area for g in grids) - union.area) < 1e-12, code


def test_load_demo_twice_is_idempotent(territory: Any) -> None:
    call_command("load_demo", stdout=StringIO())

    def counts() -> tuple[int, ...]:
        return (TerritoryNode.objects.count(), Department.objects.count(), User.objects.count(),
                GridAssignment.objects.count(), Building.objects.count(), Person.objects.count(),
                Residence.objects.count())  # fmt: skip

    before = counts()
    call_command("load_demo", stdout=StringIO())
    assert before == counts()
    assert Building.objects.count() == 10 and Person.objects.filter(merged_into__isnull=True).count() == 30
    assert Department.objects.count() >= 8
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="worker_xa1").grid_assignments.count() == 2
    assert User.objects.get(username="police_xy").memberships.get().department.code == "HC-GA-XY"
