"""Shapes of organisation, employment, watch-rule and alert input and output."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.crypto import unseal
from apps.core.identity import mask_id_number, mask_phone

from ...api.serializers import ObservationSerializer
from ...inputs import CollectMetaSerializer, PointInputField
from ...models import PersonTag
from ..inputs import EmploymentDataSerializer, OrganisationDataSerializer
from ..models import Alert, AlertKind, Employment, Organisation, WatchRule


class OrganisationCollectSerializer(CollectMetaSerializer, OrganisationDataSerializer):
    pass


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    """An organisation; the legal representative's ID number and the phone are masked unless revealed."""

    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    legal_rep_id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    location = PointInputField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id", "name", "credit_code", "code_unverified", "kind", "industry", "building", "room", "floor",
            "legal_rep_name", "legal_rep_id_number", "phone", "area_m2", "staff", "beds", "seats", "tags", "status",
            "grid", "location", "version", "updated_at",
        ]  # fmt: skip

    def _number(self, sealed: str, mask: Any) -> str | None:
        if not sealed:
            return None
        value = unseal(sealed)
        return value if self.context.get("reveal") else mask(value)

    def get_legal_rep_id_number(self, obj: Organisation) -> str | None:
        return self._number(obj.legal_rep_id_number_sealed, mask_id_number)

    def get_phone(self, obj: Organisation) -> str | None:
        return self._number(obj.phone_sealed, mask_phone)


class OrganisationDetailSerializer(OrganisationSerializer):
    observations = serializers.SerializerMethodField()
    alternatives = serializers.SerializerMethodField()

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "alternatives", "observations"]

    @extend_schema_field(ObservationSerializer(many=True))
    def get_observations(self, obj: Organisation) -> Any:
        return ObservationSerializer(self.context.get("observations", []), many=True).data

    @extend_schema_field(serializers.DictField())
    def get_alternatives(self, obj: Organisation) -> Any:
        # Other personal numbers are kept sealed and never shown.
        return {
            name: v
            for name, v in (obj.alternatives or {}).items()
            if name not in ("legal_rep_id_number", "phone")
        }


class EmploymentSerializer(serializers.ModelSerializer[Employment]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Employment
        fields = ["id", "person", "organisation", "organisation_name", "role", "since", "until", "version"]


class EmploymentInputSerializer(EmploymentDataSerializer):
    id = serializers.UUIDField(required=False, help_text="Id made on the device (UUIDv7).")


class EmploymentEndSerializer(serializers.Serializer[Any]):
    until = serializers.DateField()


class WatchRuleSerializer(serializers.ModelSerializer[WatchRule]):
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    nodes: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, many=True
    )

    class Meta:
        model = WatchRule
        fields = [
            "id",
            "name",
            "department",
            "tags",
            "nodes",
            "kinds",
            "purpose",
            "is_active",
            "version",
            "created_at",
        ]


class WatchRuleInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    department = serializers.CharField(max_length=64, help_text="Department code.")
    tags = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1, max_length=20)
    nodes = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=200)
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertKind.choices), min_length=1, max_length=2
    )
    purpose = serializers.CharField(max_length=2000)
    is_active = serializers.BooleanField(required=False, default=True)

    def validate_tags(self, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PersonTag.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown person tags: {', '.join(unknown)}")
        return sorted(set(value))


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """An alert (人来预警/人走提醒): the rule, the person, where and when. It reveals the watched tag."""

    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    rule_name = serializers.CharField(source="rule.name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "rule", "rule_name", "kind", "person", "building", "residence", "grid", "department", "at", "status",
            "acknowledged_at",
        ]  # fmt: skip
