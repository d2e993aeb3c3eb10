"""Shapes of registry output and of the requests only REST makes (the data validators are in ``inputs``)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from apps.core.crypto import unseal
from apps.core.identity import IdentifierError, mask_id_number, mask_passport, mask_phone, validate_phone

from ..inputs import PointInputField
from ..models import (
    MERGEABLE_CHOICES,
    Building,
    MergeEvent,
    Observation,
    Person,
    Residence,
    ReviewItem,
)


class CollectResultSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The canonical id to use from now on.")
    outcome = serializers.ChoiceField(choices=["created", "merged"])
    version = serializers.IntegerField()
    merged_into = serializers.UUIDField(allow_null=True, help_text="When merged: the canonical id.")
    submitted_id = serializers.UUIDField(allow_null=True, help_text="The id this collection was given.")
    match = serializers.DictField(allow_null=True, help_text='{"score": 0.97, "reasons": [...]}')
    review_id = serializers.UUIDField(allow_null=True, help_text="A possible duplicate queued for review.")


class ObservationSerializer(serializers.ModelSerializer[Observation]):
    collector = serializers.CharField(source="collector.username")
    location = PointInputField(allow_null=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "collector",
            "device_id",
            "collected_at",
            "location",
            "accuracy_m",
            "outcome",
            "score",
            "reasons",
            "submitted_id",
        ]


class BuildingFeatureSerializer(GeoFeatureModelSerializer):
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = GeometryField(read_only=True, precision=7)
    footprint = GeometryField(read_only=True, precision=7, allow_null=True)

    class Meta:
        model = Building
        geo_field = "location"
        id_field = "id"
        fields = [
            "id",
            "address",
            "address_code",
            "name",
            "use",
            "floors",
            "footprint",
            "landlord",
            "grid",
            "version",
            "location",
            "updated_at",
        ]


class BuildingDetailSerializer(BuildingFeatureSerializer):
    observations = serializers.SerializerMethodField()
    alternatives = serializers.JSONField(read_only=True)

    class Meta(BuildingFeatureSerializer.Meta):
        fields = [*BuildingFeatureSerializer.Meta.fields, "alternatives", "observations"]

    @extend_schema_field(ObservationSerializer(many=True))
    def get_observations(self, obj: Building) -> Any:
        return ObservationSerializer(self.context.get("observations", []), many=True).data


def _unsealed(value: str) -> str:
    return unseal(value) if value else ""


class PersonSerializer(serializers.ModelSerializer[Person]):
    """A person; personal numbers are masked unless the view reveals them (``reveal`` in context)."""

    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    passport_number = serializers.SerializerMethodField()
    location = PointInputField(read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "passport_number",
            "household_type",
            "tags",
            "grid",
            "location",
            "version",
            "updated_at",
        ]

    def _number(self, sealed: str, mask: Any) -> str | None:
        if not sealed:
            return None
        value = _unsealed(sealed)
        return value if self.context.get("reveal") else mask(value)

    def get_id_number(self, obj: Person) -> str | None:
        return self._number(obj.id_number_sealed, mask_id_number)

    def get_phone(self, obj: Person) -> str | None:
        return self._number(obj.phone_sealed, mask_phone)

    def get_passport_number(self, obj: Person) -> str | None:
        return self._number(obj.passport_sealed, mask_passport)


class PersonDetailSerializer(PersonSerializer):
    observations = serializers.SerializerMethodField()
    residences = serializers.SerializerMethodField()

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "residences", "observations"]

    @extend_schema_field(ObservationSerializer(many=True))
    def get_observations(self, obj: Person) -> Any:
        return ObservationSerializer(self.context.get("observations", []), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_residences(self, obj: Person) -> Any:
        return ResidenceSerializer(
            obj.residences.select_related("building").order_by("-since"), many=True
        ).data


class ResidenceSerializer(serializers.ModelSerializer[Residence]):
    address = serializers.CharField(source="building.address", read_only=True)

    class Meta:
        model = Residence
        fields = ["id", "person", "building", "address", "room", "relation", "since", "until", "version"]
        read_only_fields = ["id", "version", "address"]


class ResidenceEndSerializer(serializers.Serializer[Any]):
    until = serializers.DateField()


class PersonSearchSerializer(serializers.Serializer[Any]):
    """Exact lookup by a personal number: sent in the body, never in the URL."""

    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    passport_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if sum(bool(v) for v in attrs.values()) != 1:
            raise serializers.ValidationError(_("Give exactly one of id_number, phone, passport_number."))
        if attrs["phone"]:
            try:
                attrs["phone"] = validate_phone(attrs["phone"])
            except IdentifierError as exc:
                raise serializers.ValidationError({"phone": [str(exc)]}) from exc
        attrs["id_number"] = attrs["id_number"].strip().upper()
        attrs["passport_number"] = attrs["passport_number"].strip().upper()
        return attrs


class ReviewItemSerializer(serializers.ModelSerializer[ReviewItem]):
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "record_type",
            "record_id",
            "candidate_id",
            "grid",
            "score",
            "reasons",
            "status",
            "decided_at",
            "note",
            "created_at",
        ]


class ReviewDecisionSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["merge", "keep_apart"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MergeInputSerializer(serializers.Serializer[Any]):
    record_type = serializers.ChoiceField(choices=MERGEABLE_CHOICES)
    survivor_id = serializers.UUIDField()
    merged_id = serializers.UUIDField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MergeEventSerializer(serializers.ModelSerializer[MergeEvent]):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = MergeEvent
        fields = [
            "id",
            "record_type",
            "survivor_id",
            "merged_id",
            "automatic",
            "score",
            "reasons",
            "actor",
            "created_at",
            "undone_at",
        ]
