"""Shapes of department output."""

from typing import Any

from rest_framework import serializers

from ..models import Department, DepartmentMembership


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    jurisdiction: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Department
        fields = [
            "id", "code", "name", "name_en", "level", "jurisdiction", "parent",
            "contact_name", "contact_phone", "contact_email",
        ]  # fmt: skip


class DepartmentMemberSerializer(serializers.ModelSerializer[DepartmentMembership]):
    user_id = serializers.UUIDField(source="user.id")
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = DepartmentMembership
        fields = ["id", "user_id", "username", "full_name", "title", "created_at"]
