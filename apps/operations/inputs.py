"""Validators of operations data, shared by REST, the sync push (``patrol``, ``visit``, ``task``) and the demo.

Serializers usable without HTTP: ``PatrolDataSerializer().run_validation(data)``. The points of a patrol chunk
(up to 2,000) are checked by one field in a plain loop: a nested serializer per fix cost more than storing it.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.geo.crs import Crs, to_wgs84
from apps.registry.inputs import ObservedAtField, check_observed_at

from .models import (
    PROVIDER_CODES,
    CheckMethod,
    PatrolKind,
    TaskStatus,
    VisitKind,
    VisitOutcome,
)

MAX_POINTS = 2000
MAX_CHECKINS = 200
SHA256 = r"^[0-9a-f]{64}$"
TASK_DEVICE_STATUSES = [TaskStatus.ACCEPTED.value, TaskStatus.DONE.value, TaskStatus.UNABLE.value]


@dataclass(frozen=True, slots=True)
class Fixes:
    """A chunk's fixes as columns (the shape one INSERT … SELECT FROM unnest(…) takes)."""

    seq: list[int]
    t: list[dt.datetime]
    lon: list[float]
    lat: list[float]
    accuracy_m: list[float | None]
    speed_mps: list[float | None]
    provider: list[int]
    mock: list[bool]

    def __len__(self) -> int:
        return len(self.seq)


def _number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


_NUMBER_TYPES = (int, float)


def _numbers_within(column: list[Any], low: float, high: float) -> bool:
    """Every value a finite number (not a boolean) from ``low`` to ``high``."""
    try:
        return (
            all(type(value) in _NUMBER_TYPES for value in column)
            and all(map(math.isfinite, column))
            and low <= min(column)
            and max(column) <= high
        )
    except OverflowError:  # an integer beyond any float
        return False


def clean_columns(points: list[Any]) -> Fixes | None:
    """A chunk's columns when every point is well formed, or None when any point is not.

    The same checks as the point-by-point ``FixesField._check``, made column by column (comprehensions, ``min``
    and ``max``, ``map`` over C functions): a chunk of 500 clean fixes — what devices send — is checked in a
    fraction of the time. A chunk with any problem gets None, and the point-by-point check then names each.
    """
    if not points:
        return Fixes([], [], [], [], [], [], [], [])
    if not all(type(point) is dict for point in points):
        return None
    try:
        seq = [point["seq"] for point in points]
        times = [point["t"] for point in points]
        lon = [point["lon"] for point in points]
        lat = [point["lat"] for point in points]
    except KeyError:
        return None
    if not (
        all(type(value) is int for value in seq)
        and min(seq) >= 0
        and max(seq) < 2**31
        and len(set(seq)) == len(seq)
    ):
        return None
    if not all(type(value) is str and len(value) <= 40 for value in times):
        return None
    try:
        instants = list(map(dt.datetime.fromisoformat, times))
    except ValueError:
        return None
    if any(instant.tzinfo is None for instant in instants):
        return None
    # Within the bounds of any observation (a fix in year 1 or 9999 is stored, then cannot be read back).
    if check_observed_at(min(instants)) or check_observed_at(max(instants)):
        return None
    if not (_numbers_within(lon, -180, 180) and _numbers_within(lat, -90, 90)):
        return None
    accuracy = [point.get("accuracy_m") for point in points]
    speed = [point.get("speed_mps") for point in points]
    for column, top in ((accuracy, 100_000), (speed, 1_000)):
        given = [value for value in column if value is not None]
        if given and not _numbers_within(given, 0, top):
            return None
    try:
        providers = [int(PROVIDER_CODES[point.get("provider") or "other"]) for point in points]
    except (KeyError, TypeError):  # not a provider's name, or not even a string (a list is unhashable)
        return None
    mock = [point.get("mock", False) for point in points]
    if not all(type(value) is bool for value in mock):
        return None
    return Fixes(
        seq, instants, [float(v) for v in lon], [float(v) for v in lat], accuracy, speed, providers, mock
    )


POINT_SCHEMA = {
    "type": "array",
    "maxItems": MAX_POINTS,
    "items": {
        "type": "object",
        "properties": {
            "seq": {"type": "integer", "minimum": 0},
            "t": {"type": "string", "format": "date-time"},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "accuracy_m": {"type": "number", "nullable": True},
            "speed_mps": {"type": "number", "nullable": True},
            "provider": {"type": "string", "enum": list(PROVIDER_CODES)},
            "mock": {"type": "boolean"},
        },
        "required": ["seq", "t", "lon", "lat"],
    },
}


@extend_schema_field(POINT_SCHEMA)
class FixesField(serializers.Field):
    """A chunk of a patrol's track: ``[{"seq", "t", "lon", "lat", "accuracy_m", "speed_mps", "provider",
    "mock"}, …]`` in the request's ``crs``, validated in one loop and returned as columns in WGS84."""

    def to_internal_value(self, data: Any) -> Fixes:
        if not isinstance(data, list):
            raise serializers.ValidationError(_("Expected a list of points."))
        if len(data) > MAX_POINTS:
            raise serializers.ValidationError(_("At most %(n)d points per chunk.") % {"n": MAX_POINTS})
        fixes = clean_columns(data)
        if fixes is None:  # some point is malformed: the point-by-point check says which and why
            fixes = self.checked_one_by_one(data)
        crs = self.context.get("crs", Crs.WGS84)
        if crs != Crs.WGS84:
            for index, (lon, lat) in enumerate(zip(fixes.lon, fixes.lat, strict=True)):
                fixes.lon[index], fixes.lat[index] = to_wgs84(lon, lat, crs)
        return fixes

    def checked_one_by_one(self, data: list[Any]) -> Fixes:
        """The chunk's columns, each point checked on its own: errors for up to 20 points, by index."""
        fixes = Fixes([], [], [], [], [], [], [], [])
        errors: dict[int, dict[str, list[str]]] = {}
        seen: set[int] = set()
        for index, point in enumerate(data):
            problem = self._check(point, seen)
            if problem:
                errors[index] = problem
                if len(errors) >= 20:
                    break
                continue
            fixes.seq.append(point["seq"])
            fixes.t.append(_instant(point["t"]))  # type: ignore[arg-type]
            fixes.lon.append(float(point["lon"]))
            fixes.lat.append(float(point["lat"]))
            fixes.accuracy_m.append(point.get("accuracy_m"))
            fixes.speed_mps.append(point.get("speed_mps"))
            fixes.provider.append(int(PROVIDER_CODES[point.get("provider") or "other"]))
            fixes.mock.append(bool(point.get("mock", False)))
        if errors:
            raise serializers.ValidationError({str(k): v for k, v in errors.items()})
        return fixes

    @staticmethod
    def _check(point: Any, seen: set[int]) -> dict[str, list[str]]:
        if not isinstance(point, dict):
            return {"non_field_errors": [_("Expected an object.")]}
        problem: dict[str, list[str]] = {}
        seq = point.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
            problem["seq"] = [_("A whole number from 0.")]
        elif seq in seen:
            problem["seq"] = [_("This seq appears twice in the chunk.")]
        else:
            seen.add(seq)
        instant = _instant(point.get("t"))
        if instant is None:
            problem["t"] = [_("An ISO 8601 time with its offset.")]
        elif implausible := check_observed_at(instant):
            problem["t"] = [implausible]
        lon, lat = point.get("lon"), point.get("lat")
        if not (
            _number(lon) and _number(lat) and -180 <= float(lon or 0) <= 180 and -90 <= float(lat or 0) <= 90
        ):
            problem["lon"] = [_("Longitude or latitude out of range.")]
        for name, top in (("accuracy_m", 100_000), ("speed_mps", 1_000)):
            value = point.get(name)
            if value is not None and not (_number(value) and 0 <= value <= top):
                problem[name] = [_("A number from 0 to %(top)d.") % {"top": top}]
        provider = point.get("provider") or "other"
        if not isinstance(provider, str) or provider not in PROVIDER_CODES:
            problem["provider"] = [_("One of %(choices)s.") % {"choices": ", ".join(PROVIDER_CODES)}]
        if not isinstance(point.get("mock", False), bool):
            problem["mock"] = [_("Must be true or false.")]
        return problem

    def to_representation(self, value: Any) -> Any:
        return value


class CheckInDataSerializer(serializers.Serializer[Any]):
    point_id = serializers.UUIDField()
    t = ObservedAtField()
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True, default=None)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True, default=None)
    accuracy_m = serializers.FloatField(
        min_value=0, max_value=100_000, required=False, allow_null=True, default=None
    )
    method = serializers.ChoiceField(choices=CheckMethod.choices)
    photo = serializers.RegexField(SHA256, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["lon"] is None) != (attrs["lat"] is None):
            raise serializers.ValidationError({"lat": [_("Give both longitude and latitude, or neither.")]})
        if attrs["lon"] is not None:
            attrs["lon"], attrs["lat"] = to_wgs84(
                attrs["lon"], attrs["lat"], self.context.get("crs", Crs.WGS84)
            )
        if attrs["method"] == CheckMethod.GPS and attrs["lon"] is None:
            raise serializers.ValidationError({"lon": [_("A GPS check-in needs its position.")]})
        if attrs["method"] == CheckMethod.PHOTO and not attrs["photo"]:
            raise serializers.ValidationError({"photo": [_("A photo check-in needs its photo.")]})
        return attrs


@extend_schema_field(CheckInDataSerializer(many=True))
class CheckInsField(serializers.Field):
    """Check-ins made during a chunk, each validated in full (a chunk's partial update leaves none half-checked)."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            raise serializers.ValidationError(_("Expected a list of check-ins."))
        if len(data) > MAX_CHECKINS:
            raise serializers.ValidationError(_("At most %(n)d check-ins per chunk.") % {"n": MAX_CHECKINS})
        checkins, errors = [], {}
        for index, item in enumerate(data):
            checkin = CheckInDataSerializer(data=item, context=self.context)
            if checkin.is_valid():
                checkins.append(dict(checkin.validated_data))
            else:
                errors[str(index)] = checkin.errors
        if errors:
            raise serializers.ValidationError(errors)
        return checkins

    def to_representation(self, value: Any) -> Any:
        return value


class PatrolDataSerializer(serializers.Serializer[Any]):
    """The ``data`` of a ``patrol`` create or update: the patrol's fields and a chunk of its track."""

    kind = serializers.ChoiceField(choices=PatrolKind.choices, default=PatrolKind.ROUTINE)
    started_at = ObservedAtField()
    ended_at = ObservedAtField(required=False, allow_null=True, default=None)
    grid_codes = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=20, default=list
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    points = FixesField(required=False, default=list)
    checkins = CheckInsField(required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started, ended = attrs.get("started_at"), attrs.get("ended_at")
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": [_("A patrol cannot end before it starts.")]})
        if isinstance(attrs.get("points"), list):  # the default: no fixes in this chunk
            attrs["points"] = Fixes([], [], [], [], [], [], [], [])
        return attrs


class VisitDataSerializer(serializers.Serializer[Any]):
    """The ``data`` of a ``visit`` create or update."""

    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.ROUTINE)
    building_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    organisation_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    person_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=50, default=list
    )
    started_at = ObservedAtField()
    ended_at = ObservedAtField(required=False, allow_null=True, default=None)
    outcome = serializers.ChoiceField(choices=VisitOutcome.choices)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.RegexField(SHA256), required=False, max_length=20, default=list
    )
    task_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    event_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=20, default=list
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started, ended = attrs.get("started_at"), attrs.get("ended_at")
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": [_("A visit cannot end before it starts.")]})
        return attrs


class TaskDeviceUpdateSerializer(serializers.Serializer[Any]):
    """The ``data`` of a device's ``task`` update: accepted, done or unable (with a reason)."""

    status = serializers.ChoiceField(choices=TASK_DEVICE_STATUSES)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["status"] == TaskStatus.UNABLE and not attrs["note"].strip():
            raise serializers.ValidationError({"note": [_("Say why the task cannot be done.")]})
        return attrs
