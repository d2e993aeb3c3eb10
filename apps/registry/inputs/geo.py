"""GeoJSON input fields and the sanity bounds of geometry and time (on REST and the push alike).

Coordinates lie on the earth ([-180, 180] × [-90, 90]); a building's footprint lies within
``GRIDAPI_FOOTPRINT_MAX_DISTANCE_M`` of its point; when something was observed (``collected_at``,
``occurred_at``) lies between ``GRIDAPI_OBSERVED_MAX_AGE_DAYS`` ago and ``GRIDAPI_OBSERVED_MAX_AHEAD_HOURS``
ahead (a device's clock may run a little fast); dates of living somewhere between 1900 and
``GRIDAPI_DATE_MAX_AHEAD_DAYS`` ahead. Anything else is a field error, never stored.
"""

import datetime as dt
import json
import math
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from apps.core.geo.crs import Crs, to_wgs84

POINT_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
    "required": ["type", "coordinates"],
}
EARLIEST_DATE = dt.date(1900, 1, 1)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def on_earth(lon: Any, lat: Any) -> bool:
    return (
        isinstance(lon, int | float) and isinstance(lat, int | float) and not isinstance(lon, bool)
        and not isinstance(lat, bool) and math.isfinite(lon) and math.isfinite(lat)
        and -180 <= lon <= 180 and -90 <= lat <= 90
    )  # fmt: skip


@extend_schema_field(POINT_SCHEMA)
class PointInputField(serializers.Field):
    """A GeoJSON Point [lon, lat]; converted from the request's ``crs`` to WGS84."""

    def to_internal_value(self, data: Any) -> Point:
        if not isinstance(data, dict) or data.get("type") != "Point":
            raise serializers.ValidationError(_("Expected a GeoJSON Point."))
        coordinates = data.get("coordinates")
        if (
            not isinstance(coordinates, list)
            or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
        ):
            raise serializers.ValidationError(_("Coordinates must be [longitude, latitude]."))
        lon, lat = float(coordinates[0]), float(coordinates[1])
        if not on_earth(lon, lat):
            raise serializers.ValidationError(_("Longitude or latitude out of range."))
        crs = self.context.get("crs", Crs.WGS84)
        lon, lat = to_wgs84(lon, lat, crs)
        return Point(lon, lat, srid=4326)

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(value.x, 7), round(value.y, 7)]}


@extend_schema_field({"type": "object", "description": "GeoJSON Polygon (WGS84)."})
class PolygonInputField(serializers.Field):
    """A GeoJSON Polygon in WGS84: valid, two-dimensional, every vertex on the earth."""

    def to_internal_value(self, data: Any) -> Polygon:
        if not isinstance(data, dict) or data.get("type") != "Polygon":
            raise serializers.ValidationError(_("Expected a GeoJSON Polygon."))
        rings = data.get("coordinates")
        # Checked before GEOS sees them: a vertex at 1e308 or NaN is refused here, not stored.
        if not isinstance(rings, list) or not all(
            isinstance(ring, list) and all(isinstance(v, list) and len(v) >= 2 for v in ring)
            for ring in rings
        ):
            raise serializers.ValidationError(_("Unreadable polygon."))
        if any(len(v) > 2 for ring in rings for v in ring):
            raise serializers.ValidationError(
                _("Coordinates must be [longitude, latitude], without heights.")
            )
        if not all(on_earth(v[0], v[1]) for ring in rings for v in ring):
            raise serializers.ValidationError(_("Longitude or latitude out of range."))
        try:
            geometry = GEOSGeometry(json.dumps(data), srid=4326)
        except Exception as exc:
            raise serializers.ValidationError(_("Unreadable polygon.")) from exc
        if not isinstance(geometry, Polygon) or not geometry.valid:
            reason = geometry.valid_reason if isinstance(geometry, Polygon) else "not a polygon"
            raise serializers.ValidationError(_("Invalid polygon: %(reason)s") % {"reason": reason})
        return geometry

    def to_representation(self, value: Polygon) -> Any:
        return json.loads(value.geojson)


def _metres_between(point: Point, other: Point) -> float:
    """Great-circle distance in metres (haversine; plenty for a sanity bound)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (point.x, point.y, other.x, other.y))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def check_footprint(footprint: Polygon | None, location: Point | None) -> str | None:
    """Why ``footprint`` cannot be the outline of a building at ``location`` (a vertex too far), or None."""
    if footprint is None or location is None:
        return None
    limit = _setting("GRIDAPI_FOOTPRINT_MAX_DISTANCE_M", 500)
    farthest = max(_metres_between(location, Point(x, y)) for x, y in footprint.exterior_ring.coords)
    if farthest > limit:
        return _("The footprint reaches %(distance)d m from the building's point; at most %(limit)d m.") % {
            "distance": round(farthest), "limit": round(limit),
        }  # fmt: skip
    return None


def check_observed_at(value: dt.datetime | str | None) -> str | None:
    """Why ``value`` cannot be when something was observed (too old, or in the future), or None.

    The push hands its mutations' times on as the ISO text it validated; they are read here the same way.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            return _("Expected a date and time (ISO 8601).")
        value = parsed if parsed.tzinfo is not None else timezone.make_aware(parsed)
    now = timezone.now()
    earliest = now - dt.timedelta(days=_setting("GRIDAPI_OBSERVED_MAX_AGE_DAYS", 3650))
    latest = now + dt.timedelta(hours=_setting("GRIDAPI_OBSERVED_MAX_AHEAD_HOURS", 24))
    if value.tzinfo is None or not earliest <= value <= latest:
        return _("Implausible time: between %(earliest)s and %(latest)s. [time_range]") % {
            "earliest": earliest.date().isoformat(), "latest": latest.date().isoformat(),
        }  # fmt: skip
    return None


class ObservedAtField(serializers.DateTimeField):
    """When something was seen or done on the ground: a date and time that ``check_observed_at`` finds plausible
    (a device's clock in year 1 or 9999 would be stored and then fail every read that shows it)."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        instant = super().to_internal_value(value)
        if problem := check_observed_at(instant):
            raise serializers.ValidationError(problem)
        return instant


def check_date(value: dt.date | None) -> str | None:
    """Why ``value`` cannot be a date of living somewhere (before 1900 or too far ahead), or None."""
    if value is None:
        return None
    latest = timezone.localdate() + dt.timedelta(days=_setting("GRIDAPI_DATE_MAX_AHEAD_DAYS", 366))
    if not EARLIEST_DATE <= value <= latest:
        return _("Implausible date: between %(earliest)s and %(latest)s. [date_range]") % {
            "earliest": EARLIEST_DATE.isoformat(), "latest": latest.isoformat(),
        }  # fmt: skip
    return None


def check_observation(
    *, collected_at: dt.datetime | str | None, location: Point | None, footprint: Any
) -> None:
    """The bounds a collection must keep whichever way it came (REST, push, batch): ValidationError if not."""
    errors: dict[str, list[str]] = {}
    if problem := check_observed_at(collected_at):
        errors["collected_at"] = [problem]
    if problem := check_footprint(footprint, location):
        errors["footprint"] = [problem]
    if errors:
        raise ValidationError(errors)
