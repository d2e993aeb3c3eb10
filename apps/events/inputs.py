"""The data of an event report and of an action on an event: shared by REST and the sync push."""

from typing import Any

from rest_framework import serializers

from apps.core.geo.crs import Crs
from apps.departments.models import DepartmentLevel
from apps.registry.inputs import ObservedAtField, PointInputField

from .lifecycle import CLIENT_ACTIONS

SHA256 = r"^[0-9a-f]{64}$"


class EventDataSerializer(serializers.Serializer[Any]):
    """The ``data`` of an event mutation (the sync protocol's fields)."""

    category = serializers.CharField(max_length=48)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    occurred_at = ObservedAtField(required=False, allow_null=True, default=None)
    building_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    person_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=20, default=list
    )
    photos = serializers.ListField(
        child=serializers.RegexField(SHA256), required=False, max_length=20, default=list
    )
    resolved_on_site = serializers.BooleanField(required=False, default=False)


class EventReportInputSerializer(EventDataSerializer):
    """A report over REST: the event's data plus where it is (GeoJSON Point in ``crs``)."""

    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    id = serializers.UUIDField(
        required=False, help_text="Id made on the device (UUIDv7); the server makes one otherwise."
    )
    location = PointInputField(help_text="Where the event is.")
    device_id = serializers.CharField(required=False, max_length=128, default="")


class EventActionInputSerializer(serializers.Serializer[Any]):
    """One action on an event. ``params`` by action: dispatch/reroute ``department`` (code, optional for
    reroute: by the rules otherwise); raise_level ``level``; verify ``ok``; rate ``rating`` 1–5;
    request_extension/grant_extension ``days``."""

    action = serializers.ChoiceField(choices=CLIENT_ACTIONS)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.RegexField(SHA256), required=False, max_length=20, default=list
    )
    department = serializers.CharField(max_length=32, required=False)
    level = serializers.ChoiceField(choices=DepartmentLevel.choices, required=False)
    ok = serializers.BooleanField(required=False)
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
    days = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, min_value=0)
