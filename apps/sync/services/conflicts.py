"""Conflict items: a field a device and the server both changed; a supervisor keeps one value."""

import datetime as dt
import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.crypto import seal, unseal
from apps.core.errors import Conflict
from apps.core.identity import NUMBER_MASKS, mask_id_number
from apps.core.principals import Principal
from apps.registry.inputs import BuildingDataSerializer, PersonDataSerializer, PointInputField
from apps.registry.models import Building, Person, RecordType
from apps.registry.organisations.inputs import OrganisationDataSerializer
from apps.registry.organisations.models import Organisation
from apps.registry.organisations.services import organisation_update
from apps.registry.services import ObservationMeta, building_update, person_update

from ..models import ConflictItem, ConflictStatus
from .common import validated

# Personal numbers of every record type (a person's, an organisation's legal representative's): sealed, masked.
MASKS = {**NUMBER_MASKS, "legal_rep_id_number": mask_id_number}
# What a supervisor's "keep the device's value" goes through, per record type: model, validation, update.
APPLIERS: dict[str, tuple[Any, Any, Any]] = {
    RecordType.BUILDING: (Building, BuildingDataSerializer, building_update),
    RecordType.PERSON: (Person, PersonDataSerializer, person_update),
    RecordType.ORGANISATION: (Organisation, OrganisationDataSerializer, organisation_update),
}


def kept_device_value(field: str, value: Any) -> Any:
    """A conflicting device value as the conflict keeps it: a personal number sealed, like the record's."""
    return {"sealed": seal(value)} if field in MASKS and value else value


def masked(field: str, value: Any) -> Any:
    """A device value as shown (to the device, and in the supervisors' queue): personal numbers masked."""
    return MASKS[field](value) if field in MASKS and value else value


def device_value_of(conflict: ConflictItem) -> Any:
    """The device's value of ``conflict`` in full (for applying it)."""
    value = conflict.device_value
    return unseal(value["sealed"]) if conflict.field in MASKS and isinstance(value, dict) else value


def conflict_device_value_shown(conflict: ConflictItem) -> Any:
    return masked(conflict.field, device_value_of(conflict))


def shown(record: Any, field: str) -> Any:
    """The server's value of a conflicting field as the conflict shows it (personal numbers never)."""
    if field in MASKS:
        return None  # personal numbers are not echoed into conflict records
    value = getattr(record, field, None)
    if hasattr(value, "geojson"):
        return json.loads(getattr(value, "geojson"))  # noqa: B009
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@transaction.atomic
def conflict_resolve(*, conflict: ConflictItem, keep: str, actor: Principal) -> ConflictItem:
    """A supervisor keeps the server's value or applies the device's (as a new version)."""
    conflict = ConflictItem.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != ConflictStatus.OPEN:
        raise Conflict(_("This conflict has already been resolved."))
    if keep == "device":
        model, serializer, update = APPLIERS[conflict.record_type]
        record: Any = model.objects.get(pk=conflict.record_id)
        if record.merged_into_id is not None:
            raise Conflict(_("The record has been merged into another since; resolve against that one."))
        if conflict.field == "location":
            value = PointInputField().to_internal_value(conflict.device_value)
        else:
            value = validated(serializer, {conflict.field: device_value_of(conflict)}, partial=True)[
                conflict.field
            ]
        update(**{conflict.record_type: record}, changes={conflict.field: value}, expected_version=record.version,
               meta=ObservationMeta(collector=actor), payload={"resolved_conflict": str(conflict.pk)})  # fmt: skip
    elif keep != "server":
        raise ValidationError({"keep": [_("Must be server or device.")]})
    conflict.status, conflict.resolution = ConflictStatus.RESOLVED, keep
    conflict.resolved_by, conflict.resolved_at = actor, timezone.now()  # type: ignore[assignment]
    conflict.save()
    return conflict
