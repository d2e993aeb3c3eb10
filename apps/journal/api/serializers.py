"""The shape of a page of the change engine (pull pages and feed pages share it)."""

from typing import Any

from rest_framework import serializers


class ChangeSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    id = serializers.UUIDField()
    deleted = serializers.BooleanField()
    version = serializers.IntegerField(required=False)
    updated_at = serializers.DateTimeField(required=False)
    geometry = serializers.DictField(required=False, allow_null=True)
    data = serializers.DictField(required=False)  # type: ignore[assignment]
    reason = serializers.ChoiceField(choices=["deleted", "merged", "out_of_scope"], required=False)
    merged_into = serializers.UUIDField(required=False)


class PullOutputSerializer(serializers.Serializer[Any]):
    changes = ChangeSerializer(many=True)
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()
