"""Updates from a device, merged three ways against what the server changed since the device's version."""

import datetime as dt
import uuid
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.core.crypto import blind_index
from apps.journal.models import JournalEntry
from apps.registry import selectors as registry
from apps.registry.inputs import (
    BuildingDataSerializer,
    PersonDataSerializer,
    ResidenceInputSerializer,
)
from apps.registry.models import RecordType
from apps.registry.services import (
    RESIDENCE_EDITABLE,
    ObservationMeta,
    building_update,
    person_update,
    residence_update,
)

from ..models import ConflictItem
from .common import PushContext, mutation_result, validated
from .conflicts import kept_device_value, masked, shown

# Journal field names of merges (internal columns) → the protocol's field names.
_FIELD_NAMES = {
    "id_number_index": "id_number", "id_number_sealed": "id_number", "phone_index": "phone",
    "phone_sealed": "phone", "passport_index": "passport_number", "passport_sealed": "passport_number",
}  # fmt: skip
_NUMBER_INDEXES = {
    "id_number": "id_number_index",
    "phone": "phone_index",
    "passport_number": "passport_index",
}


def base_version_of(mutation: dict[str, Any], record: Any) -> int:
    """The version the device edited: an integer the record has had (1 … its version now).

    A version ahead of the server's was never seen by any device: trusting it would skip conflict detection.
    """
    base = mutation.get("base_version")
    if not isinstance(base, int) or isinstance(base, bool) or base < 1:
        raise ValidationError({"base_version": [_("Required for update: the version the device edited.")]})
    if base > record.version:
        raise ValidationError(
            {
                "base_version": [
                    _("This record never had this version: pull it again and edit what you receive.")
                ]
            }
        )
    return base


def locked(record: Any) -> Any:
    """``record`` read again under a row lock, before its three-way merge.

    Without the lock, two devices editing one record at once both merge against the same version, and the
    second's write fails its version check (a rejection the device can do nothing about). With it, the second
    waits, then merges against what the first changed: other fields apply, the same field is a conflict.
    """
    return type(record)._default_manager.select_for_update().get(pk=record.pk)


def _server_changed_since(kind: str, record_id: uuid.UUID, base_version: int) -> set[str]:
    names: set[str] = set()
    for fields in JournalEntry.objects.filter(
        record_type=kind, record_id=record_id, version__gt=base_version
    ).values_list("fields", flat=True):
        names.update(_FIELD_NAMES.get(name, name) for name in fields)
    return names


def _comparable(record: Any, field: str, value: Any) -> tuple[Any, Any]:
    """(server value, device value) in one comparable form."""
    if field in _NUMBER_INDEXES:
        return getattr(record, _NUMBER_INDEXES[field]), blind_index(value) if value else ""
    if field in {"location", "footprint"}:
        current = getattr(record, field)
        same = current is not None and value is not None and current.equals_exact(value, 1e-6)
        if same or (current is None and value is None):
            return True, True
        return getattr(current, "wkt", None), getattr(value, "wkt", None)
    if field == "landlord_id":
        return str(record.landlord_id or ""), str(value or "")
    current = getattr(record, field)
    if field == "tags":
        return sorted(current or []), sorted(value or [])
    if isinstance(current, dt.date):
        return current.isoformat(), value.isoformat() if value else None
    return current, value


def record_update(
    context: PushContext, mutation: dict[str, Any], kind: str, record: Any, meta: ObservationMeta
) -> dict[str, Any]:
    """A building's or person's update: fields the server also changed since the base version (to another value)
    keep the server's value and become conflict items; the rest apply."""
    mutation_id = mutation["mutation_id"]
    record = locked(record)
    base = base_version_of(mutation, record)
    serializer = BuildingDataSerializer if kind == RecordType.BUILDING else PersonDataSerializer
    sent = mutation.get("data") or {}
    values = validated(serializer, sent, partial=True)
    if values.get("photos"):
        # Not applied by an update, but a reference to photos out of sight is refused all the same (as over
        # REST): it would otherwise reach the observation's payload.
        try:
            check_referable(user=context.user, hashes=values["photos"])
        except ValidationError as exc:
            raise ValidationError({"data": exc.detail}) from exc
    data = {k: v for k, v in values.items() if k in sent and k not in {"photos", "residence"}}
    if meta.location is not None:
        data["location"] = meta.location
    server_changed = _server_changed_since(kind, record.pk, base) if base < record.version else set()
    conflicts, changes, kept = [], {}, {}
    for field, value in data.items():
        server_value, device_value = _comparable(record, field, value)
        if field in server_changed and server_value != device_value:
            device = sent.get(field, mutation.get("location"))
            kept[field] = kept_device_value(field, device)
            conflicts.append({"field": field, "device": masked(field, device),
                              "server": shown(record, field), "server_version": record.version})  # fmt: skip
        elif server_value != device_value:
            changes[field] = value
    if changes:
        update: Any = building_update if kind == RecordType.BUILDING else person_update
        record = update(
            **{kind: record}, changes=changes, expected_version=record.version, meta=meta, payload=mutation
        )
    for conflict in conflicts:
        conflict["server_version"] = (
            record.version
        )  # the value still holds at the version after this mutation
        ConflictItem.objects.create(
            record_type=kind, record_id=record.pk, grid_id=record.grid_id, field=conflict["field"],
            device_value=kept[conflict["field"]], server_value=conflict["server"], base_version=base,
            server_version=record.version, mutation_id=mutation_id, user_id=context.user.pk,
        )  # fmt: skip
    status = "conflict" if conflicts else "applied"
    return mutation_result(
        mutation_id, status, id=str(record.pk), version=record.version, conflicts=conflicts
    )


def residence_changes(mutation: dict[str, Any], residence: Any) -> dict[str, Any]:
    """The fields a device changed of a residence: room, relation, dates (its person and building stay)."""
    base_version_of(mutation, residence)
    sent = mutation.get("data") or {}
    data = validated(ResidenceInputSerializer, {"person_id": residence.person_id, "building_id": residence.building_id,
                                                "relation": residence.relation, **sent})  # fmt: skip
    for name, kind in (("person_id", RecordType.PERSON), ("building_id", RecordType.BUILDING)):
        if name in sent and registry.resolve_alias(record_type=kind, record_id=data[name]) != getattr(
            residence, name
        ):
            raise ValidationError({name: [_("A residence keeps its person and building: record a new one.")]})
    residence = residence_update(
        residence=residence, changes={name: data[name] for name in RESIDENCE_EDITABLE if name in sent}
    )
    return mutation_result(
        mutation["mutation_id"], "applied", id=str(residence.pk), version=residence.version
    )
