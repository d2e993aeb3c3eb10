"""The data of buildings, people and residences as a collection brings them (REST, the push, the demo)."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.geo.crs import Crs
from apps.core.identity import PASSPORT_RE, IdentifierError, parse_id_number, validate_phone
from apps.core.text import house_key, normalise_address

from ..models import NUMBER_COLUMNS, Building, BuildingUse, Gender, HouseholdType, PersonTag, Relation
from .geo import ObservedAtField, PointInputField, PolygonInputField, check_date, check_footprint

__all__ = ["NUMBER_COLUMNS"]


class CollectMetaSerializer(serializers.Serializer[Any]):
    """What every collection carries besides the record's data."""

    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    id = serializers.UUIDField(
        required=False, help_text="Id made on the device (UUIDv7); the server makes one otherwise."
    )
    location = PointInputField(required=False, help_text="Where the thing is (a person: where they live).")
    accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=10000)
    collected_at = ObservedAtField(required=False)
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
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if problem := check_footprint(attrs.get("footprint"), attrs.get("location")):
            raise serializers.ValidationError({"footprint": [problem]})
        return attrs


class ResidenceRefSerializer(serializers.Serializer[Any]):
    building_id = serializers.UUIDField()
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.TENANT)
    since = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_since(self, value: dt.date | None) -> dt.date | None:
        if problem := check_date(value):
            raise serializers.ValidationError(problem)
        return value


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


class ResidenceInputSerializer(serializers.Serializer[Any]):
    person_id = serializers.UUIDField()
    building_id = serializers.UUIDField()
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=Relation.choices)
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_since(self, value: dt.date | None) -> dt.date | None:
        if problem := check_date(value):
            raise serializers.ValidationError(problem)
        return value

    def validate_until(self, value: dt.date | None) -> dt.date | None:
        if problem := check_date(value):
            raise serializers.ValidationError(problem)
        return value
