"""Validation of organisation and employment data, shared by REST, the sync push and the demo."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.credit_code import normalise_credit_code, validate_credit_code
from apps.core.identity import IdentifierError, parse_id_number, validate_phone

from .models import OrganisationKind, OrganisationStatus, OrganisationTag


class OrganisationDataSerializer(serializers.Serializer[Any]):
    """An organisation's data as a device or a form sends it (``data`` of an ``organisation`` mutation)."""

    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    code_unverified = serializers.BooleanField(
        required=False, default=False,
        help_text="Keep a credit code whose check fails as printed (flagged; it then decides no match).",
    )  # fmt: skip
    kind = serializers.ChoiceField(
        choices=OrganisationKind.choices, required=False, allow_blank=True, default=""
    )
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    building_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    room = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    floor = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    legal_rep_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    legal_rep_id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    area_m2 = serializers.FloatField(
        min_value=0, max_value=10_000_000, required=False, allow_null=True, default=None
    )
    staff = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True, default=None
    )
    beds = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, allow_null=True, default=None
    )
    seats = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, allow_null=True, default=None
    )
    tags = serializers.ListField(
        child=serializers.ChoiceField(choices=OrganisationTag.choices),
        required=False,
        max_length=10,
        default=list,
    )
    status = serializers.ChoiceField(choices=OrganisationStatus.choices, required=False, default="operating")
    photos = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-f]{64}$"), required=False, max_length=20, default=list
    )

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("A name is required."))
        return value.strip()

    def validate_legal_rep_id_number(self, value: str) -> str:
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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A credit code that fails is a field error naming the rule, unless the device says it is unverified:
        then it is kept as printed (normalised) and flagged."""
        code = attrs.get("credit_code")
        if code:
            try:
                attrs["credit_code"] = validate_credit_code(code)
                attrs["code_unverified"] = False
            except IdentifierError as exc:
                if not attrs.get("code_unverified"):
                    raise serializers.ValidationError({"credit_code": [f"{exc} [{exc.rule}]"]}) from exc
                attrs["credit_code"] = normalise_credit_code(code)[:32]
        elif "credit_code" in attrs:
            attrs["code_unverified"] = False
        return attrs


class EmploymentDataSerializer(serializers.Serializer[Any]):
    """Who works where (``data`` of an ``employment`` mutation)."""

    person_id = serializers.UUIDField()
    organisation_id = serializers.UUIDField()
    role = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": [_("Must not be before since.")]})
        return attrs
