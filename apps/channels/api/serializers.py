"""Shapes of the channels' REST API (the Open311 documents are in ``open311.py``)."""

from typing import Any

from rest_framework import serializers

from ..models import CategoryMapping, Channel


class CategoryMappingSerializer(serializers.ModelSerializer[CategoryMapping]):
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = CategoryMapping
        fields = ["external_code", "category"]


class ChannelSerializer(serializers.ModelSerializer[Channel]):
    key_prefix = serializers.SerializerMethodField()
    mappings = CategoryMappingSerializer(many=True, read_only=True)
    triage_category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "key_prefix", "endpoint", "triage_category", "is_active", "mappings",
                  "created_at", "updated_at"]  # fmt: skip

    def get_key_prefix(self, obj: Channel) -> str:
        return f"gch_{obj.prefix}"


class ChannelCreatedSerializer(ChannelSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; only its hash is kept.")

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "key"]


class ChannelUpdateSerializer(serializers.Serializer[Any]):
    endpoint = serializers.UUIDField(required=False, allow_null=True)
    triage_category = serializers.CharField(max_length=48, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class OrderResultSerializer(serializers.Serializer[Any]):
    order_no = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["created", "merged", "duplicate", "rejected"])
    event_id = serializers.UUIDField(required=False)
    request_id = serializers.UUIDField(required=False)
    errors = serializers.DictField(required=False)  # type: ignore[assignment]


class OrderBatchResultSerializer(serializers.Serializer[Any]):
    results = OrderResultSerializer(many=True)


class AlarmResultSerializer(serializers.Serializer[Any]):
    sensor_id = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=["created", "attached", "flapping", "cleared", "ignored", "rejected"]
    )
    event_id = serializers.UUIDField(required=False, allow_null=True)
    errors = serializers.DictField(required=False)  # type: ignore[assignment]


class AlarmBatchResultSerializer(serializers.Serializer[Any]):
    results = AlarmResultSerializer(many=True)


class RequestStateSerializer(serializers.Serializer[Any]):
    request_id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    status = serializers.CharField()


class CallerSerializer(serializers.Serializer[Any]):
    request_id = serializers.UUIDField()
    channel = serializers.CharField()
    external_id = serializers.CharField()
    caller_name = serializers.CharField()
    caller_phone = serializers.CharField()
