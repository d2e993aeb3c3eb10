"""Shapes of the sync protocol (sync-protocol.md): the push envelope, results, the pull page, conflicts."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.geo.crs import Crs
from apps.journal.changes import change_kinds

from ..models import ConflictItem
from ..services import MAX_MUTATIONS, conflict_device_value_shown


class MutationSerializer(serializers.Serializer[Any]):
    mutation_id = serializers.UUIDField()
    type = serializers.CharField(max_length=32, help_text="building, person, residence or event.")
    op = serializers.ChoiceField(choices=["create", "update", "delete"])
    id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Client-made for create; the record's id otherwise."
    )
    base_version = serializers.IntegerField(required=False, allow_null=True, min_value=1)
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
            raise serializers.ValidationError("Expected a GeoJSON Point [longitude, latitude].")
        return value


class PushInputSerializer(serializers.Serializer[Any]):
    device_id = serializers.CharField(max_length=128)
    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    mutations = serializers.ListField(
        child=serializers.DictField(), max_length=MAX_MUTATIONS, allow_empty=True
    )


class MutationResultSerializer(serializers.Serializer[Any]):
    mutation_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["applied", "merged", "conflict", "rejected"])
    id = serializers.UUIDField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    merged_into = serializers.UUIDField(allow_null=True)
    match = serializers.DictField(allow_null=True)
    conflicts = serializers.ListField(child=serializers.DictField())
    errors = serializers.DictField()  # type: ignore[assignment]


class PushOutputSerializer(serializers.Serializer[Any]):
    results = MutationResultSerializer(many=True)
    cursor = serializers.CharField(allow_null=True, help_text="The pull cursor sent in the push, if any.")


class PullQuerySerializer(serializers.Serializer[Any]):
    cursor = serializers.CharField(required=False, max_length=4096)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=500)
    types = serializers.CharField(required=False, default="building,person,residence,event")

    def validate_types(self, value: str) -> list[str]:
        types = list(dict.fromkeys(t for t in value.split(",") if t))  # once each: a type named twice is one
        unknown = sorted(set(types) - set(change_kinds()))
        if unknown or not types:
            raise serializers.ValidationError(f"Unknown types: {', '.join(unknown)}" if unknown else "Empty.")
        return types


class ConflictItemSerializer(serializers.ModelSerializer[ConflictItem]):
    device_value = serializers.SerializerMethodField(help_text="Personal numbers are masked.")

    class Meta:
        model = ConflictItem
        fields = ["id", "record_type", "record_id", "field", "device_value", "server_value", "base_version",
                  "server_version", "mutation_id", "status", "resolution", "resolved_at", "created_at"]  # fmt: skip

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_device_value(self, obj: ConflictItem) -> Any:
        return conflict_device_value_shown(obj)


class ConflictResolveSerializer(serializers.Serializer[Any]):
    keep = serializers.ChoiceField(choices=["server", "device"])
