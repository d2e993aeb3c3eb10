"""What channels send, validated once for the REST endpoints, the CSV import and the benchmark.

A hotline order or a sensor alarm becomes a ``ChannelReport``; its place is a WGS84 point, or a building of
the registry found by its standard address code (``address_id``) or its address.
"""

import secrets
from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.identity import IdentifierError, validate_phone

from .models import Channel, ChannelKind, SensorAlarm, ServiceAttribute
from .selectors import building_by_address
from .services.intake import ChannelReport

MAX_BATCH = 500


def point_or_building(data: dict[str, Any], principal: Any) -> tuple[Point, Any]:
    """The point of a request: its coordinates, else its building's (an address ``principal`` may place a
    report at); raises a field error when neither."""
    if data.get("lat") is not None and data.get("lon") is not None:
        return Point(float(data["lon"]), float(data["lat"]), srid=4326), None
    building = building_by_address(
        principal=principal, address_id=data.get("address_id") or "", address=data.get("address") or ""
    )
    if building is None:
        if data.get("address_id") or data.get("address"):
            raise serializers.ValidationError({"address": [_("No building has this address.")]})
        raise serializers.ValidationError({"location": [_("Give lat and lon, an address_id or an address.")]})
    assert building.location is not None  # noqa: S101 - the selector reads buildings with a location only
    return building.location, building


class CallerInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        if not value:
            return value
        try:
            return validate_phone(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class WorkOrderInput(serializers.Serializer[Any]):
    """One 12345 work order (工单)."""

    order_no = serializers.CharField(max_length=128)
    category = serializers.CharField(max_length=64, help_text="The hotline's own category code.")
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180, default=None)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90, default=None)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    address_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    caller = CallerInput(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["point"], attrs["building"] = point_or_building(attrs, self.context.get("principal"))
        return attrs


class WorkOrderBatchInput(serializers.Serializer[Any]):
    orders = serializers.ListField(child=serializers.DictField(), max_length=MAX_BATCH, allow_empty=False)


def work_order_report(channel: Channel, data: dict[str, Any], categories: dict[str, Any]) -> ChannelReport:
    """A validated work order as a report (``categories``: the channel's mapping of the batch's codes)."""
    caller = data.get("caller") or {}
    return ChannelReport(
        external_id=data["order_no"], category=categories.get(data["category"]), title=data["title"],
        location=data["point"], building=data["building"], description=data["content"],
        occurred_at=data["received_at"], external_code=data["category"], address=data["address"],
        address_id=data["address_id"], caller_name=caller.get("name", ""), caller_phone=caller.get("phone", ""),
    )  # fmt: skip


class AlarmInput(serializers.Serializer[Any]):
    """One alarm of a sensor."""

    sensor_id = serializers.CharField(max_length=128)
    kind = serializers.CharField(max_length=64, help_text="The network's alarm kind (mapped to a category).")
    level = serializers.ChoiceField(choices=SensorAlarm.Level.choices)
    at = serializers.DateTimeField()
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AlarmBatchInput(serializers.Serializer[Any]):
    alarms = serializers.ListField(child=serializers.DictField(), max_length=MAX_BATCH, allow_empty=False)


class ChannelCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    triage_category = serializers.CharField(max_length=48, required=False, allow_blank=True, default="")
    endpoint = serializers.UUIDField(required=False, allow_null=True, default=None)


class ChannelActionInput(serializers.Serializer[Any]):
    action = serializers.CharField(max_length=16, help_text="verify or rate")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    ok = serializers.BooleanField(required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)


class MappingsInput(serializers.Serializer[Any]):
    mappings = serializers.DictField(child=serializers.CharField(max_length=48))


def open311_report(form: Any, categories: Any, *, principal: Any) -> ChannelReport:
    """A GeoReport v2 POST (form fields) as a report; raises ``Open311Error`` (400) on bad or missing input.

    The location is ``lat``/``long``, else ``address_id`` (a standard address code), else ``address_string``,
    each resolved through the building registry. ``media_url`` is kept as a link and never fetched. The
    resident's name and phone are sealed like a hotline caller's; the e-mail address is not kept.
    """
    from .open311 import Open311Error

    code = form.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = categories.filter(pk=code).first()
    if category is None:
        raise Open311Error(400, f"service_code {code} is invalid")
    data = {"address_id": form.get("address_id", ""), "address": form.get("address_string", "")}
    try:
        if form.get("lat") or form.get("long"):
            data["lat"], data["lon"] = float(form.get("lat", "")), float(form.get("long", ""))
            if not (-90 <= data["lat"] <= 90 and -180 <= data["lon"] <= 180):
                raise ValueError
        point, building = point_or_building(data, principal)
    except ValueError:
        raise Open311Error(400, "lat and long must be WGS84 coordinates") from None
    except serializers.ValidationError:
        if data["address_id"] or data["address"]:
            raise Open311Error(400, "address_string or address_id was not found") from None
        raise Open311Error(400, "lat/long, address_string or address_id was not provided") from None
    media_url = form.get("media_url", "")
    if media_url and not (media_url.startswith(("http://", "https://")) and len(media_url) <= 1000):
        raise Open311Error(400, "media_url must be an http(s) URL")
    description = form.get("description", "")
    if len(description) > 4000:
        raise Open311Error(400, "description is longer than 4000 characters")
    attributes = {
        key[len("attribute[") : -1]: form.getlist(key) for key in form if key.startswith("attribute[")
    }
    attributes = {key: values[0] if len(values) == 1 else values for key, values in attributes.items()}
    for attribute in ServiceAttribute.objects.filter(category=category, required=True):
        if not attributes.get(attribute.code):
            raise Open311Error(400, f"attribute[{attribute.code}] was not provided")
    name = " ".join(part for part in (form.get("first_name", ""), form.get("last_name", "")) if part)
    phone = form.get("phone", "")
    return ChannelReport(
        external_id=secrets.token_hex(16), category=category, title=(description or category.name)[:60],
        location=point, building=building, description=description, external_code=code,
        address=data["address"], address_id=data["address_id"], media_url=media_url, attributes=attributes,
        caller_name=name[:100], caller_phone=phone[:32],
    )  # fmt: skip
