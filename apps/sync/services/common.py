"""What every part of the push shares: the caller's context, the result shape, errors, validation, lookups."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import as_serializer_error

from apps.core.geo.crs import to_wgs84
from apps.core.principals import Principal
from apps.core.visibility import visible_get
from apps.registry.services import CollectOutcome, ObservationMeta

RESULT_FIELDS = ("mutation_id", "status", "id", "version", "merged_into", "match", "conflicts", "errors")


@dataclass(frozen=True)
class PushContext:
    """Who pushes: the user, the device (the token's when signed in as a device) and the batch's CRS."""

    user: Principal
    device_id: str
    crs: str


def body_hash(mutation: dict[str, Any]) -> str:
    canonical = json.dumps(mutation, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mutation_result(mutation_id: Any, status: str, **extra: Any) -> dict[str, Any]:
    """One entry of the push response (the protocol's result shape)."""
    return {
        "mutation_id": str(mutation_id), "status": status, "id": extra.get("id"), "version": extra.get("version"),
        "merged_into": extra.get("merged_into"), "match": extra.get("match"), "conflicts": extra.get("conflicts", []),
        "errors": storable(extra.get("errors", {})),
    }  # fmt: skip


def storable(value: Any) -> Any:
    """``value`` as plain JSON without NUL characters, which PostgreSQL's text and jsonb refuse (an error message
    may quote the input that carried one); DRF's error strings become plain strings."""
    if isinstance(value, str):
        return str.replace(value, "\x00", "")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def errors_of(exc: Exception) -> dict[str, Any]:
    """The field errors of a rejected mutation."""
    if isinstance(exc, ValidationError):
        detail = exc.detail
        return dict(storable(detail if isinstance(detail, dict) else {"non_field_errors": detail}))
    if isinstance(exc, DjangoValidationError):
        return dict(storable(as_serializer_error(exc)))
    errors: dict[str, Any] = {"non_field_errors": [str(getattr(exc, "detail", exc))]}
    return errors | (getattr(exc, "extra", None) or {})


def validated_with(validator: Any, data: Any) -> dict[str, Any]:
    """``data`` validated by a reusable serializer instance (a 400 under ``data`` when invalid)."""
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("Expected an object.")]})
    try:
        return dict(validator.run_validation(data))
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc


def validated(serializer_class: Any, data: Any, *, partial: bool = False) -> dict[str, Any]:
    return validated_with(serializer_class(partial=partial), data)


def meta_of(context: PushContext, mutation: dict[str, Any]) -> ObservationMeta:
    """Where, when and by whom a mutation's observation was made."""
    location = mutation.get("location")
    point = None
    if location is not None:
        lon, lat = to_wgs84(location["coordinates"][0], location["coordinates"][1], context.crs)
        point = Point(lon, lat, srid=4326)
    return ObservationMeta(
        collector=context.user, collected_at=mutation.get("collected_at") or timezone.now(),
        device_id=context.device_id, location=point, accuracy_m=mutation.get("accuracy_m"),
        submitted_id=uuid.UUID(str(mutation["id"])) if mutation.get("id") else None,
    )  # fmt: skip


def collected(mutation_id: Any, outcome: CollectOutcome) -> dict[str, Any]:
    """The result of a create that went through a collect service: applied, or merged into a canonical record."""
    record = outcome.record
    version = outcome.version if outcome.version is not None else record.version
    if outcome.created:
        return mutation_result(mutation_id, "applied", id=str(record.pk), version=version)
    return mutation_result(
        mutation_id, "merged", id=str(record.pk), version=version, merged_into=str(record.pk),
        match=outcome.explanation(),
    )  # fmt: skip


def visible_record(context: PushContext, model: type[Model], record_id: Any, *, field: str = "id") -> Any:
    """The canonical record ``record_id`` names (its id or an alias) if the user may see it — through the gate;
    a field error under ``field`` otherwise (the same answer whether it exists or not)."""
    try:
        given = uuid.UUID(str(record_id))
    except ValueError as exc:
        raise ValidationError({field: [_("Not a valid id.")]}) from exc
    record = visible_get(model, context.user, given)
    if record is None:
        raise ValidationError({field: [_("No such record among those you may change.")]})
    return record
