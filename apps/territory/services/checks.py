"""The rules an import must pass as a whole: a consistent tree, children inside parents, grids apart."""

import logging
from typing import Any

import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.strtree import STRtree

from ..models import Level, TerritoryNode, parent_level
from .features import Candidate, FeatureError, area_m2, metres_per_degree

logger = logging.getLogger(__name__)


def check_tree(candidates: list[Candidate], errors: list[FeatureError]) -> dict[str, Any]:
    """Parents known, levels consistent, children inside their parents. Returns code → parent geometry."""
    by_code = {c.code: c for c in candidates}
    parent_codes = {c.parent_code for c in candidates if c.parent_code and c.parent_code not in by_code}
    existing = {
        node.code: node
        for node in TerritoryNode.objects.filter(code__in=parent_codes).only("code", "level", "boundary")
    }
    tolerance_m = settings.GRIDAPI_TERRITORY_CONTAINMENT_TOLERANCE_M
    # A node keeps its level: changing it could hang a node under its own descendants (levels only ever
    # descend along the tree, so with fixed levels there is no cycle), and its children would be misplaced.
    levels = dict(TerritoryNode.objects.filter(code__in=by_code).values_list("code", "level"))
    for c in candidates:
        if levels.get(c.code, c.level) != c.level:
            errors.append(FeatureError(c.index, c.code, "level_changed", _(
                "This node is a %(was)s; a re-import may not make it a %(level)s."
            ) % {"was": levels[c.code], "level": c.level}))  # fmt: skip
            continue
        expected_parent_level = parent_level(c.level)
        if expected_parent_level is None:
            if c.parent_code:
                errors.append(FeatureError(c.index, c.code, "bad_parent", _("A city has no parent.")))
            continue
        if not c.parent_code:
            errors.append(
                FeatureError(
                    c.index, c.code, "missing_parent", _("A %(level)s needs a parent.") % {"level": c.level}
                )
            )
            continue
        if c.parent_code in by_code:
            parent_level_value, parent_geometry = (
                by_code[c.parent_code].level,
                by_code[c.parent_code].geometry,
            )
        elif c.parent_code in existing:
            node = existing[c.parent_code]
            parent_level_value, parent_geometry = node.level, shapely.from_wkb(bytes(node.boundary.wkb))
        else:
            errors.append(
                FeatureError(
                    c.index,
                    c.code,
                    "unknown_parent",
                    _("Unknown parent code %(code)s.") % {"code": c.parent_code},
                )
            )
            continue
        if parent_level_value != expected_parent_level:
            errors.append(
                FeatureError(
                    c.index,
                    c.code,
                    "bad_parent_level",
                    _("The parent of a %(level)s must be a %(expected)s, not a %(actual)s.")
                    % {"level": c.level, "expected": expected_parent_level, "actual": parent_level_value},
                )
            )
            continue
        outside = _sticking_out(c.geometry, parent_geometry, tolerance_m)
        if outside is not None:
            errors.append(
                FeatureError(
                    c.index,
                    c.code,
                    "outside_parent",
                    _("%(area).0f m² lie outside the parent %(parent)s (tolerance %(tol).1f m).")
                    % {"area": outside, "parent": c.parent_code, "tol": tolerance_m},
                )
            )
    _check_existing_children(by_code, errors, tolerance_m)
    return by_code


def _sticking_out(child: Any, parent: Any, tolerance_m: float) -> float | None:
    """The area (m²) of ``child`` outside ``parent`` when the part sticking out is wider than a strip of
    ``tolerance_m``; None when it lies inside (within the tolerance)."""
    outside = child.difference(parent)
    if outside.is_empty:
        return None
    mx, my = metres_per_degree(child.centroid.y)
    return None if outside.buffer(-tolerance_m / max(mx, my)).is_empty else area_m2(outside)


def _check_existing_children(by_code: dict[str, Any], errors: list[FeatureError], tolerance_m: float) -> None:
    """A node whose boundary the file changes must still hold its children that the file leaves as they are."""
    children = TerritoryNode.objects.filter(parent__code__in=list(by_code)).exclude(code__in=list(by_code))
    for child in children.select_related("parent").only("code", "boundary", "parent__code"):
        parent = by_code[child.parent.code]  # type: ignore[union-attr]
        outside = _sticking_out(shapely.from_wkb(bytes(child.boundary.wkb)), parent.geometry, tolerance_m)
        if outside is not None:
            errors.append(
                FeatureError(
                    parent.index,
                    parent.code,
                    "child_outside",
                    _("Its child %(child)s would lie %(area).0f m² outside it (tolerance %(tol).1f m).")
                    % {"child": child.code, "area": outside, "tol": tolerance_m},
                )
            )


def check_grid_overlaps(candidates: list[Candidate], errors: list[FeatureError]) -> None:
    """Grids of one community must not overlap (beyond a small tolerance), in the file or with the database."""
    tolerance_m2 = settings.GRIDAPI_TERRITORY_OVERLAP_TOLERANCE_M2
    grids = [c for c in candidates if c.level == Level.GRID]
    file_codes = {c.code for c in grids}
    by_parent: dict[str, list[tuple[str, int | None, Any]]] = {}
    for c in grids:
        by_parent.setdefault(c.parent_code or "", []).append((c.code, c.index, c.geometry))
    for node in TerritoryNode.objects.filter(
        level=Level.GRID, parent__code__in=list(by_parent)
    ).select_related("parent"):
        if node.code not in file_codes and node.parent is not None:
            by_parent[node.parent.code].append((node.code, None, shapely.from_wkb(bytes(node.boundary.wkb))))
    for siblings in by_parent.values():
        tree = STRtree([geometry for _, _, geometry in siblings])
        for i, (code, index, geometry) in enumerate(siblings):
            if index is None:
                continue
            for j in tree.query(geometry):
                if int(j) == i:
                    continue
                other_code, other_index, other_geometry = siblings[int(j)]
                if other_index is not None and int(j) < i:
                    continue  # the pair was reported from the other side
                overlap = area_m2(geometry.intersection(other_geometry))
                if overlap > tolerance_m2:
                    errors.append(
                        FeatureError(
                            index,
                            code,
                            "grids_overlap",
                            _("Overlaps grid %(other)s by %(area).0f m² (tolerance %(tol).0f m²).")
                            % {"other": other_code, "area": overlap, "tol": tolerance_m2},
                        )
                    )
