"""What the operations services answer, and small helpers they share."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import as_serializer_error

APPLIED, REJECTED = "applied", "rejected"


@dataclass(frozen=True)
class Outcome:
    """The answer to one push mutation: ``applied`` with the record's id and version, or ``rejected`` with
    field errors (nothing of it stored)."""

    status: str
    id: uuid.UUID | None = None
    version: int | None = None
    errors: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def applied(cls, record: Any) -> "Outcome":
        return cls(APPLIED, record.pk, record.version)

    @classmethod
    def rejected(cls, errors: dict[str, Any]) -> "Outcome":
        return cls(REJECTED, errors=errors)


def error_dict(exc: Exception) -> dict[str, Any]:
    """Field errors of a validation error, as plain JSON values."""
    if isinstance(exc, ValidationError):
        detail = exc.detail
        return _plain(detail if isinstance(detail, dict) else {"non_field_errors": detail})
    if isinstance(exc, DjangoValidationError):
        return _plain(as_serializer_error(exc))
    return {"non_field_errors": [str(exc)]}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def validated(serializer: Any, data: Any, *, partial: bool = False, crs: str = "wgs84") -> dict[str, Any]:
    """``data`` validated by ``serializer`` (a class), raising ValidationError under ``data``."""
    if not isinstance(data, dict):
        raise ValidationError({"data": [_expected_object()]})
    instance = serializer(partial=partial, context={"crs": crs})
    try:
        return dict(instance.run_validation(data))
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc


def _expected_object() -> str:
    from django.utils.translation import gettext as _

    return _("Expected an object.")
