"""Shapes of the authentication endpoints (sync-protocol.md, "Authentication")."""

from typing import Any

from rest_framework import serializers

from ..models import ApiKey, Role


class TokenCreateInputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"}, trim_whitespace=False)
    device_id = serializers.CharField(max_length=128)
    device_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TokenUserSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class GridBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class TokenCreateOutputSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Shown once.")
    expires_at = serializers.DateTimeField()
    user = TokenUserSerializer()
    grids = GridBriefSerializer(many=True, help_text="The grids the user serves today.")


class MeOutputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["user", "department_system"])
    user = TokenUserSerializer(allow_null=True)
    grids = GridBriefSerializer(many=True)
    territory = serializers.CharField(allow_null=True, help_text="Code of the caller's territory, if any.")
    department = serializers.CharField(
        allow_null=True, help_text="Code of the department an API key acts for."
    )


class ApiKeyOutputSerializer(serializers.ModelSerializer[ApiKey]):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
