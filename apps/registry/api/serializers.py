"""Shapes of registry input and output. Input serializers are shared with the mobile sync."""

import datetime as dt
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from apps.core.crypto import unseal
from apps.core.geo.crs import Crs, to_wgs84
from apps.core.identity import (
    PASSPORT_RE,
    IdentifierError,
    mask_id_number,
    mask_passport,
    mask_phone,
    parse_id_number,
    validate_phone,
)
from apps.core.text import house_key, normalise_address

from ..models import (
    MERGEABLE_CHOICES,
    Building,
    BuildingUse,
    Gender,
    HouseholdType,
    MergeEvent,
    Observation,
    Person,
    PersonTag,
    Relation,
    Residence,
    ReviewItem,
)

POINT_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
    "required": ["type", "coordinates"],
}


@extend_schema_field(POINT_SCHEMA)
class PointInputField(serializers.Field):
    """A GeoJSON Point [lon, lat]; converted from the request's ``crs`` to WGS84."""

    def to_internal_value(self, data: Any) -> Point:
        if not isinstance(data, dict) or data.get("type") != "Point":
            raise serializers.ValidationError(_("Expected a GeoJSON Point."))
        coordinates = data.get("coordinates")
        if (
            not isinstance(coordinates, list)
            or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
        ):
            raise serializers.ValidationError(_("Coordinates must be [longitude, latitude]."))
        lon, lat = float(coordinates[0]), float(coordinates[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise serializers.ValidationError(_("Longitude or latitude out of range."))
        crs = self.context.get("crs", Crs.WGS84)
        lon, lat = to_wgs84(lon, lat, crs)
        return Point(lon, lat, srid=4326)

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(value.x, 7), round(value.y, 7)]}


@extend_schema_field({"type": "object", "description": "GeoJSON Polygon (WGS84)."})
class PolygonInputField(serializers.Field):
    def to_internal_value(self, data: Any) -> Polygon:
        if not isinstance(data, dict) or data.get("type") != "Polygon":
            raise serializers.ValidationError(_("Expected a GeoJSON Polygon."))
        try:
            geometry = GEOSGeometry(__import__("json").dumps(data), srid=4326)
        except Exception as exc:
            raise serializers.ValidationError(_("Unreadable polygon.")) from exc
        if geometry.hasz:
            raise serializers.ValidationError(
                _("Coordinates must be [longitude, latitude], without heights.")
            )
        if not isinstance(geometry, Polygon) or not geometry.valid:
            reason = geometry.valid_reason if isinstance(geometry, Polygon) else "not a polygon"
            raise serializers.ValidationError(_("Invalid polygon: %(reason)s") % {"reason": reason})
        return geometry

    def to_representation(self, value: Polygon) -> Any:
        return __import__("json").loads(value.geojson)


class CollectMetaSerializer(serializers.Serializer[Any]):
    """What every collection carries besides the record's data."""

    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    id = serializers.UUIDField(
        required=False, help_text="Id made on the device (UUIDv7); the server makes one otherwise."
    )
    location = PointInputField(required=False, help_text="Where the thing is (a person: where they live).")
    accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=10000)
    collected_at = serializers.DateTimeField(required=False)
    device_id = serializers.CharField(required=False, max_length=128, default="")


class BuildingDataSerializer(serializers.Serializer[Any]):
    address = serializers.CharField(max_length=300)
    address_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    use = serializers.ChoiceField(choices=BuildingUse.choices, required=False, allow_blank=True, default="")
    floors = serializers.IntegerField(
        min_value=1, max_value=200, required=False, allow_null=True, default=None
    )
    footprint = PolygonInputField(required=False, allow_null=True, default=None)
    landlord_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    photos = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-f]{64}$"), required=False, max_length=20, default=list
    )

    def validate_address(self, value: str) -> str:
        """The address as it will be kept: normalised, with its house and block numbers within their columns."""
        norm = normalise_address(value)
        house, block = house_key(norm)
        for part, text, label in (
            ("address_norm", norm, _("The address")), ("house_number", house, _("The house number")),
            ("block_number", block, _("The block number")),
        ):  # fmt: skip
            limit = getattr(Building._meta.get_field(part), "max_length", None)
            if text and limit is not None and len(text) > limit:
                raise serializers.ValidationError(
                    _("%(part)s is too long: at most %(limit)d characters.") % {"part": label, "limit": limit}
                )
        return value


class BuildingCollectSerializer(CollectMetaSerializer, BuildingDataSerializer):
    pass


class ResidenceRefSerializer(serializers.Serializer[Any]):
    building_id = serializers.UUIDField()
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.TENANT)
    since = serializers.DateField(required=False, allow_null=True, default=None)


class PersonDataSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    passport_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    household_type = serializers.ChoiceField(
        choices=HouseholdType.choices, required=False, allow_blank=True, default=""
    )
    tags = serializers.ListField(
        child=serializers.ChoiceField(choices=PersonTag.choices), required=False, default=list
    )
    residence = ResidenceRefSerializer(required=False, allow_null=True, default=None)

    def validate_id_number(self, value: str) -> str:
        if not value:
            return value
        try:
            parse_id_number(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(f"{exc} [{exc.rule}]") from exc
        return value.strip().upper()

    def validate_phone(self, value: str) -> str:
        if not value:
            return value
        try:
            return validate_phone(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(f"{exc} [{exc.rule}]") from exc

    def validate_passport_number(self, value: str) -> str:
        value = value.strip().upper()
        if value and not PASSPORT_RE.match(value):
            raise serializers.ValidationError(_("5–20 letters or digits. [passport_format]"))
        return value

    def validate_birth_date(self, value: dt.date | None) -> dt.date | None:
        if value and not dt.date(1900, 1, 1) <= value <= dt.date.today():  # noqa: DTZ011
            raise serializers.ValidationError(_("Implausible birth date. [birth_date_range]"))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("id_number"):
            birth, gender = parse_id_number(attrs["id_number"])
            errors = {}
            if attrs.get("birth_date") and attrs["birth_date"] != birth:
                errors["birth_date"] = [_("Does not match the ID number. [id_mismatch]")]
            if attrs.get("gender") and attrs["gender"] != gender:
                errors["gender"] = [_("Does not match the ID number. [id_mismatch]")]
            if errors:
                raise serializers.ValidationError(errors)
            attrs["birth_date"], attrs["gender"] = birth, gender
        return attrs


class PersonCollectSerializer(CollectMetaSerializer, PersonDataSerializer):
    pass


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


class ResidenceInputSerializer(serializers.Serializer[Any]):
    person_id = serializers.UUIDField()
    building_id = serializers.UUIDField()
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=Relation.choices)
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)


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
