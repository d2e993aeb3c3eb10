"""Shapes of the sync protocol (sync-protocol.md): the push envelope, results, the pull page, conflicts."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.journal.changes import change_kinds

from ..models import ConflictItem
from ..services import conflict_device_value_shown


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
    cursor = serializers.CharField(
        allow_null=True,
        help_text="The device's pull cursor re-signed by the server (null when none, or not the user's valid one "
        "was sent): the next pull from it sends this batch's effects in their final state.",
    )


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
