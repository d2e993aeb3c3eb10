"""Validators of the push's input (the envelope and each mutation's shape), used by the push service and
described in the schema by the API."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.geo.crs import Crs

MAX_MUTATIONS = 1000
MAX_BATCH_BYTES = 5 * 1024 * 1024


class StrictIntegerField(serializers.IntegerField):
    """An integer as a JSON number: ``"1"`` (a string) or ``1.0`` is a type error, not coerced."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class MutationSerializer(serializers.Serializer[Any]):
    mutation_id = serializers.UUIDField()
    type = serializers.CharField(
        max_length=32, help_text="building, person, residence or event (and the types apps add)."
    )
    op = serializers.ChoiceField(choices=["create", "update", "delete"])
    id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Client-made for create; the record's id otherwise."
    )
    base_version = StrictIntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="For update: the version the device edited (an integer the record has had).",
    )  # fmt: skip
    collected_at = serializers.DateTimeField(required=False, allow_null=True)
    location = serializers.DictField(
        required=False, allow_null=True, help_text="GeoJSON Point in the batch's crs."
    )
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=10000)
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]

    def validate_location(self, value: Any) -> Any:
        if value is None:
            return value
        coordinates = value.get("coordinates")
        if (
            value.get("type") != "Point"
            or not isinstance(coordinates, list)
            or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
            or not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90)
        ):
            raise serializers.ValidationError(_("Expected a GeoJSON Point [longitude, latitude]."))
        return value


class PushInputSerializer(serializers.Serializer[Any]):
    device_id = serializers.CharField(
        max_length=128,
        help_text="The device that collected the batch. When the request is signed with a device token, the "
        "token's device is recorded and this value is ignored.",
    )
    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    mutations = serializers.ListField(
        child=serializers.DictField(), max_length=MAX_MUTATIONS, allow_empty=True
    )
    cursor = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=4096,
        help_text="The device's pull cursor, if it has one: the response carries it back re-signed.",
    )  # fmt: skip


def plain(mutation: dict[str, Any]) -> dict[str, Any]:
    """A validated mutation with its ids and time as the strings the device sent them as (what is hashed,
    stored with the observation and compared), without a JSON round trip of the whole mutation."""
    mutation["mutation_id"] = str(mutation["mutation_id"])
    if mutation.get("id") is not None:
        mutation["id"] = str(mutation["id"])
    if mutation.get("collected_at") is not None:
        mutation["collected_at"] = str(mutation["collected_at"])
    return mutation
