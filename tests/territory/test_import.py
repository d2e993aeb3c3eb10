"""Territory import: all or nothing, one report entry per bad feature naming the rule."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.demo.territory import haicang_features
from apps.territory.models import TerritoryNode
from apps.territory.services import territory_import

pytestmark = pytest.mark.django_db


def feature(
    code: str, level: str, parent: str | None, coords: list[list[float]], name: str = "节点"
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent": parent},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


def rect(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# A new community under 新阳街道 (118.00–118.06 × 24.48–24.56) is not possible without overlap, so tests
# add a small new subdistrict tree under the district inside its south-west corner, which is free.
def new_tree(*grids: dict[str, Any]) -> dict[str, Any]:
    return collection(
        feature("T-SD", "subdistrict", "350205", rect(117.960, 24.440, 117.9633, 24.460)),
        feature("T-C", "community", "T-SD", rect(117.960, 24.440, 117.9633, 24.460)),
        *grids,
    )


def test_import_creates_tree_and_paths(territory: dict[str, TerritoryNode]) -> None:
    data = collection(
        feature("X-CITY", "city", None, rect(100, 30, 101, 31)),
        feature("X-D", "district", "X-CITY", rect(100, 30, 100.5, 30.5)),
    )
    report = territory_import(feature_collection=data)
    assert report.ok and report.created == 2
    district = TerritoryNode.objects.get(code="X-D")
    assert district.path == "X-CITY/X-D/"
    assert district.parent is not None and district.parent.code == "X-CITY"
    assert district.boundary.geom_type == "MultiPolygon"


def test_reimport_of_demo_changes_nothing(territory: dict[str, TerritoryNode]) -> None:
    report = territory_import(feature_collection=haicang_features())
    assert (report.created, report.updated, report.unchanged) == (0, 0, 90)


BOWTIE = [[118.0, 24.0], [118.01, 24.01], [118.01, 24.0], [118.0, 24.01], [118.0, 24.0]]


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        (feature("BAD", "city", None, BOWTIE), "invalid_polygon"),
        (feature("BAD", "district", "NOPE", rect(100, 30, 100.1, 30.1)), "unknown_parent"),
        (feature("BAD", "grid", "350205", rect(118.0, 24.5, 118.01, 24.51)), "bad_parent_level"),
        (feature("BAD", "grid", "HC-XY-XA", rect(118.05, 24.49, 118.07, 24.50)), "outside_parent"),
        (feature("BAD", "grid", "HC-XY-XA", rect(118.021, 24.481, 118.025, 24.485)), "grids_overlap"),
        (feature("BAD", "district", None, rect(100, 30, 100.1, 30.1)), "missing_parent"),
        (feature("BAD", "province", None, rect(100, 30, 100.1, 30.1)), "bad_level"),
        (feature("bad/code", "city", None, rect(100, 30, 100.1, 30.1)), "bad_code"),
        (feature("BAD", "city", None, [[500, 30], [501, 30], [501, 31], [500, 30]]), "bad_coordinates"),
        ({"type": "Feature", "properties": {"code": "BAD", "name": "x", "level": "city"},
          "geometry": {"type": "Point", "coordinates": [1, 2]}}, "bad_geometry_type"),
    ],
)  # fmt: skip
def test_each_rule_is_reported_and_nothing_is_written(
    territory: dict[str, TerritoryNode], bad: dict[str, Any], rule: str
) -> None:
    good = feature("GOOD-CITY", "city", None, rect(90, 30, 91, 31))
    before = TerritoryNode.objects.count()
    report = territory_import(feature_collection=collection(good, bad))
    assert not report.ok
    assert [(e.index, e.rule) for e in report.errors] == [(1, rule)]
    assert report.errors[0].message
    assert TerritoryNode.objects.count() == before
    assert not TerritoryNode.objects.filter(code="GOOD-CITY").exists()


def test_invalid_polygon_reason_names_the_problem(territory: dict[str, TerritoryNode]) -> None:
    report = territory_import(feature_collection=collection(feature("BAD", "city", None, BOWTIE)))
    assert "Self-intersection" in report.errors[0].message


def test_overlap_within_tolerance_is_accepted(territory: dict[str, TerritoryNode]) -> None:
    # Two grids sharing a 1e-7° sliver (~1 cm × 335 m ≈ 4 m²) overlap by less than the 25 m² tolerance.
    data = new_tree(
        feature("T-G1", "grid", "T-C", rect(117.960, 24.440, 117.9633, 24.4500001)),
        feature("T-G2", "grid", "T-C", rect(117.960, 24.450, 117.9633, 24.460)),
    )
    assert territory_import(feature_collection=data).ok


def test_several_bad_features_all_reported(territory: dict[str, TerritoryNode]) -> None:
    data = collection(
        feature("A", "city", None, BOWTIE),
        feature("B", "district", "NOPE", rect(100, 30, 100.1, 30.1)),
        feature("A", "city", None, rect(90, 30, 91, 31)),
    )
    report = territory_import(feature_collection=data)
    assert [(e.index, e.rule) for e in report.errors] == [(0, "invalid_polygon"), (1, "unknown_parent")]


def test_duplicate_code_in_file(territory: dict[str, TerritoryNode]) -> None:
    data = collection(
        feature("A", "city", None, rect(90, 30, 91, 31)), feature("A", "city", None, rect(92, 30, 93, 31))
    )
    assert [e.rule for e in territory_import(feature_collection=data).errors] == ["duplicate_code"]


def test_dry_run_writes_nothing(territory: dict[str, TerritoryNode]) -> None:
    report = territory_import(
        feature_collection=collection(feature("DRY", "city", None, rect(90, 30, 91, 31))), dry_run=True
    )
    assert report.ok and report.created == 1 and report.dry_run
    assert not TerritoryNode.objects.filter(code="DRY").exists()


def test_moving_a_node_moves_its_subtree_paths(territory: dict[str, TerritoryNode]) -> None:
    data = haicang_features()
    moved = copy.deepcopy(next(f for f in data["features"] if f["properties"]["code"] == "HC-HC"))
    other_city = feature("OTHER", "city", None, rect(117.9, 24.4, 118.1, 24.6))
    other_district = feature("OTHER-D", "district", "OTHER", rect(117.95, 24.43, 118.04, 24.49))
    moved["properties"]["parent"] = "OTHER-D"
    report = territory_import(feature_collection=collection(other_city, other_district, moved))
    assert report.ok, report.as_dict()
    assert TerritoryNode.objects.get(code="HC-HC-QJ-01").path == "OTHER/OTHER-D/HC-HC/HC-HC-QJ/HC-HC-QJ-01/"


def test_import_api_is_admin_only_and_reports_errors(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    make_user: Callable[..., User],
) -> None:
    body = collection(feature("API-CITY", "city", None, rect(90, 30, 91, 31)))
    dispatcher = api_client(make_user(Role.DISPATCHER, territory=territory["350205"]))
    assert dispatcher.post("/api/v1/territory/import/", body, format="json").status_code == 403

    admin = api_client(make_user(Role.ADMIN))
    bad = admin.post(
        "/api/v1/territory/import/", collection(feature("B", "city", None, BOWTIE)), format="json"
    )
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"]["features"][0]["rule"] == "invalid_polygon"

    dry = admin.post("/api/v1/territory/import/?dry_run=true", body, format="json")
    assert dry.status_code == 200 and dry.json()["created"] == 1
    assert not TerritoryNode.objects.filter(code="API-CITY").exists()

    done = admin.post("/api/v1/territory/import/", body, format="json")
    assert done.status_code == 200 and done.json() == {
        "ok": True, "dry_run": False, "created": 1, "updated": 0, "unchanged": 0, "errors": []
    }  # fmt: skip
    assert TerritoryNode.objects.filter(code="API-CITY").exists()


def test_import_api_rejects_non_collections(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    make_user: Callable[..., User],
) -> None:
    admin = api_client(make_user(Role.ADMIN))
    response = admin.post("/api/v1/territory/import/", {"type": "Feature"}, format="json")
    assert response.status_code == 400
    assert "type" in response.json()["errors"]
