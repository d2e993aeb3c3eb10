"""Territory import at its edges: a node may not change level (no cycles), a subtree moved in the same file
as new nodes below it gives them the right paths, heights in coordinates are a field error."""

from typing import Any

import pytest

from apps.territory.models import TerritoryNode
from apps.territory.services import territory_import
from tests.territory.test_import import collection, feature, rect

pytestmark = pytest.mark.django_db

# A free corner of the demo district (as in tests/territory/test_import.py::new_tree).
BOX = (117.960, 24.440, 117.9633, 24.460)


def _ok(data: dict[str, Any]) -> None:
    report = territory_import(feature_collection=data)
    assert report.ok, report.as_dict()


def test_reimport_may_not_turn_a_subdistrict_into_a_grid_under_its_own_child(territory: Any) -> None:
    """A code reused at another level, and a cycle in parents: T-SD → T-C → T-SD."""
    _ok(
        collection(
            feature("T-SD", "subdistrict", "350205", rect(*BOX)),
            feature("T-C", "community", "T-SD", rect(*BOX)),
        )
    )
    # The same code again, now as a grid whose parent is its own child community.
    report = territory_import(feature_collection=collection(feature("T-SD", "grid", "T-C", rect(*BOX))))
    sd, c = TerritoryNode.objects.get(code="T-SD"), TerritoryNode.objects.get(code="T-C")
    assert not report.ok, (
        f"accepted: T-SD is now a {sd.level} with parent {sd.parent.code}, T-C's parent is {c.parent.code}; "
        f"paths {sd.path!r} / {c.path!r}"
    )
    assert sd.level == "subdistrict" and sd.parent.code == "350205"


def test_moving_a_subtree_and_adding_a_grid_below_it_in_one_file_keeps_paths_right(territory: Any) -> None:
    # Two districts with the same rectangle (districts may overlap), a subdistrict and community in the first.
    d = (118.15, 24.65, 118.20, 24.70)
    _ok(
        collection(
            feature("T-D1", "district", "350200", rect(*d)),
            feature("T-D2", "district", "350200", rect(*d)),
            feature("T-SD", "subdistrict", "T-D1", rect(*d)),
            feature("T-C", "community", "T-SD", rect(*d)),
        )
    )
    # One file: move the subdistrict to T-D2, and add a grid to its (unchanged) community T-C.
    _ok(collection(feature("T-SD", "subdistrict", "T-D2", rect(*d)), feature("T-G", "grid", "T-C", rect(*d))))
    community = TerritoryNode.objects.get(code="T-C")
    grid = TerritoryNode.objects.get(code="T-G")
    assert community.path == "350200/T-D2/T-SD/T-C/"
    assert grid.path == community.path + "T-G/", grid.path


def test_import_with_heights_in_the_coordinates_is_a_400_not_a_500(
    territory: Any, make_user: Any, api_client: Any
) -> None:
    from apps.accounts.models import Role

    client = api_client(make_user(Role.ADMIN))
    client.raise_request_exception = False
    x0, y0, x1, y1 = BOX
    ring = [[x0, y0, 5.0], [x1, y0, 5.0], [x1, y1, 5.0], [x0, y1, 5.0], [x0, y0, 5.0]]
    response = client.post(
        "/api/v1/territory/import/", collection(feature("T-SD", "subdistrict", "350205", ring)), format="json"
    )
    assert response.status_code == 400, (response.status_code, response.content[:200])
    assert not TerritoryNode.objects.filter(code="T-SD").exists()


def test_a_node_may_not_shrink_away_from_the_children_it_keeps(territory: Any) -> None:
    x0, y0, x1, y1 = BOX
    _ok(
        collection(
            feature("T-SD", "subdistrict", "350205", rect(*BOX)),
            feature("T-C", "community", "T-SD", rect(*BOX)),
            feature("T-G1", "grid", "T-C", rect(x0, y0, x1, (y0 + y1) / 2)),
            feature("T-G2", "grid", "T-C", rect(x0, (y0 + y1) / 2, x1, y1)),
        )
    )
    # The community alone, now half its size: grid 2 (left as it is) would lie outside it.
    report = territory_import(
        feature_collection=collection(feature("T-C", "community", "T-SD", rect(x0, y0, x1, (y0 + y1) / 2)))
    )
    assert [(e.code, e.rule) for e in report.errors] == [("T-C", "child_outside")]
    assert "T-G2" in report.errors[0].message
    assert TerritoryNode.objects.get(code="T-C").boundary.extent[3] == y1  # nothing applied
