"""The territory import: all or nothing, nodes matched by code, moved subtrees followed."""

import logging
from collections.abc import Callable
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from ..models import LEVEL_ORDER, PATH_SEPARATOR, TerritoryNode
from .checks import check_grid_overlaps, check_tree
from .features import Candidate, FeatureError, ImportReport, parse_feature

logger = logging.getLogger(__name__)


def _ordered(candidates: list[Candidate]) -> list[Candidate]:
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

    candidates: list[Candidate] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        candidate = parse_feature(index, feature, report.errors)
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
    check_tree(candidates, report.errors)
    check_grid_overlaps(candidates, report.errors)
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
def _apply(candidates: list[Candidate], report: ImportReport) -> None:
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
        if not isinstance(boundary, MultiPolygon):  # parse_feature made every geometry multi
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
