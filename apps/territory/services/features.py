"""Reading a territory import: one GeoJSON feature into a candidate node, or the rule it breaks."""

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon as ShapelyMultiPolygon
from shapely.geometry import shape

from ..models import CODE_RE, LEVEL_ORDER

logger = logging.getLogger(__name__)


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
class Candidate:
    index: int
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    geometry: ShapelyMultiPolygon


def metres_per_degree(lat: float) -> tuple[float, float]:
    return 111_320.0 * max(math.cos(math.radians(lat)), 1e-6), 110_574.0


def area_m2(geometry: Any) -> float:
    if geometry.is_empty:
        return 0.0
    mx, my = metres_per_degree(geometry.centroid.y)
    return float(geometry.area) * mx * my


def parse_feature(index: int, feature: Any, errors: list[FeatureError]) -> Candidate | None:
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
    return Candidate(index, code, name.strip(), name_en.strip(), level, parent_code, geometry)
