"""Writes to the territory: GeoJSON import (all or nothing) and worker ↔ grid assignments."""

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from shapely.geometry import MultiPolygon as ShapelyMultiPolygon
from shapely.geometry import shape
from shapely.strtree import STRtree

from apps.journal.models import Change
from apps.journal.services import journal_record

from .models import CODE_RE, LEVEL_ORDER, PATH_SEPARATOR, GridAssignment, Level, TerritoryNode, parent_level

logger = logging.getLogger(__name__)


# --- import --------------------------------------------------------------------------------------


@dataclass
class FeatureError:
    """What is wrong with one feature of an import, naming the rule it breaks."""

    index: int
    code: str | None
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "rule": self.rule, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of an import: counts when applied, one entry per bad feature otherwise."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[FeatureError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in self.errors],
        }


@dataclass
class _Candidate:
    index: int
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    geometry: ShapelyMultiPolygon


def _metres_per_degree(lat: float) -> tuple[float, float]:
    return 111_320.0 * max(math.cos(math.radians(lat)), 1e-6), 110_574.0


def _area_m2(geometry: Any) -> float:
    if geometry.is_empty:
        return 0.0
    mx, my = _metres_per_degree(geometry.centroid.y)
    return float(geometry.area) * mx * my


def _parse_feature(index: int, feature: Any, errors: list[FeatureError]) -> _Candidate | None:
    def fail(rule: str, message: str, code: str | None = None) -> None:
        errors.append(FeatureError(index=index, code=code, rule=rule, message=message))

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        fail("not_a_feature", _("Each item of 'features' must be a GeoJSON Feature."))
        return None
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        fail("bad_properties", _("'properties' must be an object."))
        return None
    code = props.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        fail(
            "bad_code",
            _("'code' must be 1–32 letters, digits, '-' or '_'."),
            code if isinstance(code, str) else None,
        )
        return None
    name = props.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        fail("bad_name", _("'name' is required (at most 100 characters)."), code)
        return None
    name_en = props.get("name_en") or ""
    if not isinstance(name_en, str) or len(name_en) > 100:
        fail("bad_name", _("'name_en' must be text of at most 100 characters."), code)
        return None
    level = props.get("level")
    if level not in LEVEL_ORDER:
        fail("bad_level", _("'level' must be one of: %(levels)s.") % {"levels": ", ".join(LEVEL_ORDER)}, code)
        return None
    parent_code = props.get("parent")
    if parent_code is not None and not isinstance(parent_code, str):
        fail("bad_parent", _("'parent' must be the parent's code or null."), code)
        return None
    raw_geometry = feature.get("geometry")
    if not isinstance(raw_geometry, dict) or raw_geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        fail("bad_geometry_type", _("The geometry must be a Polygon or MultiPolygon."), code)
        return None
    try:
        geometry = shape(raw_geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        fail("bad_geometry", _("Unreadable geometry: %(reason)s") % {"reason": exc}, code)
        return None
    if geometry.has_z:
        fail("bad_coordinates", _("Coordinates must be [longitude, latitude], without heights."), code)
        return None
    minx, miny, maxx, maxy = geometry.bounds if not geometry.is_empty else (0, 0, 0, 0)
    if geometry.is_empty or not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        fail("bad_coordinates", _("Coordinates must be WGS84 longitude/latitude and not empty."), code)
        return None
    if not geometry.is_valid:
        fail(
            "invalid_polygon",
            _("Invalid polygon: %(reason)s") % {"reason": shapely.is_valid_reason(geometry)},
            code,
        )
        return None
    if geometry.geom_type == "Polygon":
        geometry = ShapelyMultiPolygon([geometry])
    return _Candidate(index, code, name.strip(), name_en.strip(), level, parent_code, geometry)


def _check_tree(candidates: list[_Candidate], errors: list[FeatureError]) -> dict[str, Any]:
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
    mx, my = _metres_per_degree(child.centroid.y)
    return None if outside.buffer(-tolerance_m / max(mx, my)).is_empty else _area_m2(outside)


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


def _check_grid_overlaps(candidates: list[_Candidate], errors: list[FeatureError]) -> None:
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
                overlap = _area_m2(geometry.intersection(other_geometry))
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


def _ordered(candidates: list[_Candidate]) -> list[_Candidate]:
    return sorted(candidates, key=lambda c: (LEVEL_ORDER.index(c.level), c.code))


def territory_import(*, feature_collection: Any, dry_run: bool = False) -> ImportReport:
    """Validate a GeoJSON FeatureCollection of territory nodes and, if every feature passes, upsert it.

    Nodes are matched by ``code``. Nothing is written when any feature fails or when ``dry_run``.
    Each feature's properties: ``code``, ``name``, ``name_en`` (optional), ``level``, ``parent`` (code).
    """
    report = ImportReport(dry_run=dry_run)
    if not isinstance(feature_collection, dict) or feature_collection.get("type") != "FeatureCollection":
        raise ValidationError({"type": [_("Expected a GeoJSON FeatureCollection.")]})
    features = feature_collection.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError({"features": [_("Expected a non-empty list of features.")]})

    candidates: list[_Candidate] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        candidate = _parse_feature(index, feature, report.errors)
        if candidate is None:
            continue
        if candidate.code in seen:
            report.errors.append(
                FeatureError(
                    index, candidate.code, "duplicate_code", _("The code appears twice in the file.")
                )
            )
            continue
        seen.add(candidate.code)
        candidates.append(candidate)
    _check_tree(candidates, report.errors)
    _check_grid_overlaps(candidates, report.errors)
    if report.errors:
        report.errors.sort(key=lambda e: e.index)
        logger.info("territory import refused: %d bad features", len(report.errors))
        return report
    if dry_run:
        existing = set(TerritoryNode.objects.filter(code__in=seen).values_list("code", flat=True))
        report.created, report.updated = len(seen - existing), len(existing)
        return report
    _apply(candidates, report)
    logger.info("territory import applied: %s", report.as_dict())
    return report


# Apps above this one that keep territory paths of their own (an event's) follow a subtree that moves: each
# registers, at start, a function of (old path, new path) run in the import's transaction.
PathFollower = Callable[[str, str], None]
_path_followers: list[PathFollower] = []


def territory_path_followers_register(follower: PathFollower) -> None:
    if follower not in _path_followers:
        _path_followers.append(follower)


@transaction.atomic
def _apply(candidates: list[_Candidate], report: ImportReport) -> None:
    nodes = {
        node.code: node
        for node in TerritoryNode.objects.select_for_update().filter(code__in=[c.code for c in candidates])
    }
    parents = {
        node.code: node
        for node in TerritoryNode.objects.filter(
            code__in={c.parent_code for c in candidates if c.parent_code}
        )
    }
    for c in _ordered(candidates):
        parent = nodes.get(c.parent_code or "") or parents.get(c.parent_code or "")
        path = (parent.path if parent else "") + c.code + PATH_SEPARATOR
        boundary = GEOSGeometry(memoryview(shapely.to_wkb(c.geometry)), srid=4326)
        if not isinstance(boundary, MultiPolygon):  # _parse_feature made every geometry multi
            raise TypeError(boundary.geom_type)
        node = nodes.get(c.code)
        if node is None:
            node = TerritoryNode.objects.create(
                code=c.code,
                name=c.name,
                name_en=c.name_en,
                level=c.level,
                parent=parent,
                path=path,
                boundary=boundary,
            )
            report.created += 1
        else:
            old_path = node.path
            changed = (
                node.name != c.name
                or node.name_en != c.name_en
                or node.level != c.level
                or node.parent_id != (parent.pk if parent else None)
                or not node.boundary.equals_exact(boundary, 1e-12)
            )
            if changed:
                node.name, node.name_en, node.level, node.parent, node.path, node.boundary = (
                    c.name,
                    c.name_en,
                    c.level,
                    parent,
                    path,
                    boundary,
                )
                node.save()
                report.updated += 1
                if old_path != path:  # moved: the subtree's paths follow
                    TerritoryNode.objects.filter(path__startswith=old_path).exclude(pk=node.pk).update(
                        path=Concat(Value(path), Substr("path", len(old_path) + 1))
                    )
                    for follow in _path_followers:
                        follow(old_path, path)
                    # … and so do the nodes already read, which later features of the file may hang under.
                    for known in [*parents.values(), *nodes.values()]:
                        if known.pk != node.pk and known.path.startswith(old_path):
                            known.path = path + known.path[len(old_path) :]
            else:
                report.unchanged += 1
        nodes[c.code] = node


# --- assignments ---------------------------------------------------------------------------------


def _check_assignment(*, worker: Any, grid: TerritoryNode) -> None:
    errors: dict[str, list[str]] = {}
    if getattr(worker, "role", None) != "grid_worker":
        errors["worker"] = [_("Only grid workers can be assigned to grids.")]
    if grid.level != Level.GRID:
        errors["grid"] = [_("Workers are assigned to grids, not to a %(level)s.") % {"level": grid.level}]
    if errors:
        raise ValidationError(errors)


def grid_assignment_create(
    *,
    worker: Any,
    grid: TerritoryNode,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    actor: Any = None,
) -> GridAssignment:
    """Assign a worker to a grid for a period. An overlapping assignment of the same pair is refused."""
    _check_assignment(worker=worker, grid=grid)
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": [_("Must not be before valid_from.")]})
    try:
        with transaction.atomic():
            assignment = GridAssignment.objects.create(
                worker=worker, grid=grid, valid_from=valid_from, valid_to=valid_to, created_by=actor
            )
            _journal_scope(assignment, actor)
            return assignment
    except IntegrityError as exc:
        if "assignment_no_overlap" in str(exc):
            raise ValidationError(
                {"valid_from": [_("The worker already serves this grid during part of this period.")]}
            ) from exc
        raise


def grid_assignment_end(*, assignment: GridAssignment, valid_to: dt.date) -> GridAssignment:
    """End an assignment on ``valid_to`` (inclusive)."""
    if valid_to < assignment.valid_from:
        raise ValidationError({"valid_to": [_("Must not be before valid_from.")]})
    assignment.valid_to = valid_to
    try:
        with transaction.atomic():
            assignment.save(update_fields=["valid_to", "updated_at"])
            _journal_scope(assignment, None)
    except IntegrityError as exc:
        if "assignment_no_overlap" in str(exc):  # ended later than a later assignment of the pair begins
            raise ValidationError(
                {"valid_to": [_("The worker already serves this grid during part of this period.")]}
            ) from exc
        raise
    return assignment


def _journal_scope(assignment: GridAssignment, actor: Any) -> None:
    """A worker gained or lost a grid: the records of that grid enter or leave their scope."""
    journal_record(
        record_type="assignment", record_id=assignment.pk, change=Change.SCOPE, grid_id=assignment.grid_id,
        actor=actor,
    )  # fmt: skip


def grid_assignments_set(
    *, worker: Any, grid_codes: list[str], valid_from: dt.date, actor: Any = None
) -> list[GridAssignment]:
    """Assign ``worker`` to every grid in ``grid_codes`` from ``valid_from``; grids already served are kept."""
    grids = {grid.code: grid for grid in TerritoryNode.objects.filter(code__in=grid_codes)}
    missing = sorted(set(grid_codes) - set(grids))
    if missing:
        raise ValidationError({"grids": [_("Unknown grid codes: %(codes)s") % {"codes": ", ".join(missing)}]})
    created = []
    with transaction.atomic():
        for code in grid_codes:
            grid = grids[code]
            current = GridAssignment.objects.filter(worker=worker, grid=grid, valid_to__isnull=True).exists()
            if not current:
                created.append(
                    grid_assignment_create(worker=worker, grid=grid, valid_from=valid_from, actor=actor)
                )
    return created
