"""Push: apply a device's batch of mutations, each at most once, whatever order and however often it is sent.

Every mutation is applied in the transaction that records its result, serialised on its mutation id, so a
batch re-sent after a timeout (or sent twenty times at once) is applied once and answered identically. A run
of new buildings shares one transaction (collected together, in a bounded number of queries); any other
mutation has its own. A bad mutation is answered ``rejected`` without touching the others.
"""

import datetime as dt
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.serializers import as_serializer_error

from apps.core.bulk import bulk_insert
from apps.core.crypto import blind_index, seal, unseal
from apps.core.geo.crs import to_wgs84
from apps.core.identity import NUMBER_MASKS
from apps.core.locks import advisory_xact_lock
from apps.journal.models import JournalEntry
from apps.registry import selectors as registry
from apps.registry.inputs import (
    BuildingDataSerializer,
    PersonDataSerializer,
    ResidenceInputSerializer,
)
from apps.registry.models import Building, Person, RecordType
from apps.registry.services import (
    RESIDENCE_EDITABLE,
    BuildingSubmission,
    CollectOutcome,
    ObservationMeta,
    building_collect,
    building_update,
    buildings_collect_batch,
    person_collect,
    person_update,
    residence_collect,
    residence_end,
    residence_update,
)

from .events import event_mutation
from .models import AppliedMutation, ConflictItem, ConflictStatus

logger = logging.getLogger(__name__)
MAX_MUTATIONS = 1000
MAX_BATCH_BYTES = 5 * 1024 * 1024
RESULTS_KEPT_DAYS = 30
# Journal field names of merges (internal columns) → the protocol's field names.
_FIELD_NAMES = {
    "id_number_index": "id_number", "id_number_sealed": "id_number", "phone_index": "phone",
    "phone_sealed": "phone", "passport_index": "passport_number", "passport_sealed": "passport_number",
}  # fmt: skip


@dataclass(frozen=True)
class PushContext:
    user: Any
    device_id: str
    crs: str


def body_hash(mutation: dict[str, Any]) -> str:
    canonical = json.dumps(mutation, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


RESULT_FIELDS = ("mutation_id", "status", "id", "version", "merged_into", "match", "conflicts", "errors")


def mutation_result(mutation_id: Any, status: str, **extra: Any) -> dict[str, Any]:
    """One entry of the push response (the protocol's result shape)."""
    return {
        "mutation_id": str(mutation_id), "status": status, "id": extra.get("id"), "version": extra.get("version"),
        "merged_into": extra.get("merged_into"), "match": extra.get("match"), "conflicts": extra.get("conflicts", []),
        "errors": _storable(extra.get("errors", {})),
    }  # fmt: skip


def _storable(value: Any) -> Any:
    """``value`` without NUL characters, which PostgreSQL's text and jsonb refuse (an error message may quote
    the input that carried one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _errors(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        detail = exc.detail
        return json.loads(json.dumps(detail if isinstance(detail, dict) else {"non_field_errors": detail}))
    if isinstance(exc, DjangoValidationError):
        return json.loads(json.dumps(as_serializer_error(exc)))
    errors: dict[str, Any] = {"non_field_errors": [str(getattr(exc, "detail", exc))]}
    return errors | (getattr(exc, "extra", None) or {})


def sync_push(*, context: PushContext, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``mutations`` in order; return one result per mutation (see the sync protocol).

    Runs of new buildings are collected together (``buildings_collect_batch``: a bounded number of queries
    for the whole run); every other mutation is applied on its own, in its place in the batch.
    """
    ids = [str(m["mutation_id"]) for m in mutations]
    digests = [body_hash(m) for m in mutations]
    known = {str(row.mutation_id): row for row in AppliedMutation.objects.filter(mutation_id__in=ids)}
    run: list[int] = []
    pending: set[str] = set()

    def flush() -> None:
        if run:
            batch = [mutations[i] for i in run]
            for prior in _apply_many(context, batch, [digests[i] for i in run]):
                known[str(prior.mutation_id)] = prior
            run.clear()
            pending.clear()

    for index, mutation in enumerate(mutations):
        if ids[index] in known or ids[index] in pending:
            continue  # answered from the first occurrence, below
        if _collectable_together(mutation):
            run.append(index)
            pending.add(ids[index])
            continue
        flush()
        known[ids[index]] = _apply_once(context, mutation, digests[index])
    flush()
    return [
        _replay(known[mutation_id], mutation, digest)
        for mutation_id, mutation, digest in zip(ids, mutations, digests, strict=True)
    ]


def _collectable_together(mutation: dict[str, Any]) -> bool:
    """A new building without photos (photo links are checked one by one)."""
    data = mutation.get("data")
    return (
        mutation.get("type") == RecordType.BUILDING and mutation.get("op") == "create" and isinstance(data, dict)
        and not data.get("photos")
    )  # fmt: skip


def _apply_many(
    context: PushContext, mutations: list[dict[str, Any]], digests: list[str]
) -> list[AppliedMutation]:
    """Collect a run of new buildings in one transaction, each at most once; one at a time if that fails."""
    ids = [str(m["mutation_id"]) for m in mutations]
    try:
        with transaction.atomic():
            advisory_xact_lock([("mutation", mutation_id) for mutation_id in ids])
            applied = {
                str(row.mutation_id): row for row in AppliedMutation.objects.filter(mutation_id__in=ids)
            }
            fresh = [
                (m, d)
                for m, d in zip(mutations, digests, strict=True)
                if str(m["mutation_id"]) not in applied
            ]
            rows = [
                AppliedMutation(
                    mutation_id=m["mutation_id"], user=context.user, device_id=context.device_id, body_hash=d,
                    result=result,
                )
                for (m, d), result in zip(fresh, _collect_buildings(context, [m for m, _ in fresh]), strict=True)
            ]  # fmt: skip
            bulk_insert(rows)
            applied |= {str(row.mutation_id): row for row in rows}
        return [applied[mutation_id] for mutation_id in ids]
    except DatabaseError:  # e.g. a deadlock with a concurrent push: nothing was written, go one by one
        logger.warning("collecting %d buildings together failed; applying them one by one", len(mutations),
                       exc_info=True)  # fmt: skip
        return [_apply_once(context, m, d) for m, d in zip(mutations, digests, strict=True)]


def _collect_buildings(context: PushContext, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(mutations)
    submissions, positions = [], []
    validator = (
        BuildingDataSerializer()
    )  # one instance: building a serializer's fields costs more than validating
    for index, mutation in enumerate(mutations):
        try:
            data = validated_with(validator, mutation.get("data"))
            submissions.append(BuildingSubmission(data=data, meta=_meta(context, mutation), payload=mutation))
            positions.append(index)
        except (ValidationError, DjangoValidationError, APIException) as exc:
            results[index] = mutation_result(mutation["mutation_id"], "rejected", errors=_errors(exc))
    outcomes = buildings_collect_batch(submissions=submissions, collector=context.user)
    for index, outcome in zip(positions, outcomes, strict=True):
        mutation_id = mutations[index]["mutation_id"]
        if isinstance(outcome, CollectOutcome):
            results[index] = _collected(mutation_id, outcome)
        else:
            results[index] = mutation_result(mutation_id, "rejected", errors=_errors(outcome))
    return [result for result in results if result is not None]


def _replay(prior: AppliedMutation, mutation: dict[str, Any], digest: str) -> dict[str, Any]:
    if prior.body_hash == digest:
        # In the protocol's key order (a stored result comes back from jsonb with its keys reordered).
        return {name: prior.result.get(name) for name in RESULT_FIELDS}
    return mutation_result(
        mutation["mutation_id"], "rejected",
        errors={"mutation_id": [_("This mutation id was already used for a different mutation.")]},
    )  # fmt: skip


def _apply_once(context: PushContext, mutation: dict[str, Any], digest: str) -> AppliedMutation:
    mutation_id = mutation["mutation_id"]
    try:
        with transaction.atomic():
            advisory_xact_lock([("mutation", str(mutation_id))])
            prior = AppliedMutation.objects.filter(pk=mutation_id).first()
            if prior is not None:  # the same mutation, applied by a concurrent request
                return prior
            result = _dispatch(context, mutation)
            return AppliedMutation.objects.create(
                mutation_id=mutation_id, user=context.user, device_id=context.device_id, body_hash=digest,
                result=result,
            )  # fmt: skip
    except (ValidationError, DjangoValidationError, APIException) as exc:
        result = mutation_result(mutation_id, "rejected", errors=_errors(exc))
    except (IntegrityError, DataError):
        # A constraint of the database refused what validation let through. Answering the mutation keeps the rest
        # of the batch going: failing the request would make the device re-send the same batch for ever.
        logger.exception("mutation %s was refused by the database", mutation_id)
        result = mutation_result(
            mutation_id, "rejected", errors={"non_field_errors": [_("The data could not be stored as sent.")]}
        )
    with transaction.atomic():
        advisory_xact_lock([("mutation", str(mutation_id))])
        prior = AppliedMutation.objects.filter(pk=mutation_id).first()
        if prior is not None:
            return prior
        return AppliedMutation.objects.create(
            mutation_id=mutation_id,
            user=context.user,
            device_id=context.device_id,
            body_hash=digest,
            result=result,
        )


def _meta(context: PushContext, mutation: dict[str, Any]) -> ObservationMeta:
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


def validated_with(validator: Any, data: Any) -> dict[str, Any]:
    """``data`` validated by a reusable serializer instance (a 400 under ``data`` when invalid)."""
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("Expected an object.")]})
    try:
        return dict(validator.run_validation(data))
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc


def _validated(serializer_class: Any, data: Any, *, partial: bool = False) -> dict[str, Any]:
    return validated_with(serializer_class(partial=partial), data)


def _collected(mutation_id: Any, outcome: CollectOutcome) -> dict[str, Any]:
    record = outcome.record
    version = outcome.version if outcome.version is not None else record.version
    if outcome.created:
        return mutation_result(mutation_id, "applied", id=str(record.pk), version=version)
    return mutation_result(
        mutation_id, "merged", id=str(record.pk), version=version, merged_into=str(record.pk),
        match=outcome.explanation(),
    )  # fmt: skip


def _dispatch(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    kind, op, mutation_id = mutation["type"], mutation["op"], mutation["mutation_id"]
    if kind == "event":
        return event_mutation(user=context.user, device_id=context.device_id, mutation=mutation,
                              location=_meta(context, mutation).location)  # fmt: skip
    if kind not in {RecordType.BUILDING, RecordType.PERSON, RecordType.RESIDENCE}:
        raise ValidationError({"type": [_("Unknown record type %(type)s.") % {"type": kind}]})
    meta = _meta(context, mutation)
    if op == "create":
        if kind == RecordType.BUILDING:
            data = _validated(BuildingDataSerializer, mutation.get("data"))
            return _collected(mutation_id, building_collect(data=data, meta=meta, payload=mutation))
        if kind == RecordType.PERSON:
            data = _validated(PersonDataSerializer, mutation.get("data"))
            return _collected(mutation_id, person_collect(data=data, meta=meta, payload=mutation))
        data = _validated(ResidenceInputSerializer, mutation.get("data"))
        person = _visible(context, RecordType.PERSON, data["person_id"])
        building = _visible(context, RecordType.BUILDING, data["building_id"])
        residence, _created = residence_collect(
            person=person, building=building, room=data["room"], relation=data["relation"], since=data["since"],
            until=data["until"],
        )  # fmt: skip
        return mutation_result(mutation_id, "applied", id=str(residence.pk), version=residence.version)
    record = _visible(context, kind, mutation.get("id"))
    if op == "delete":
        if kind != RecordType.RESIDENCE:
            raise ValidationError(
                {"op": [_("Buildings and people are not deleted from a device; report it instead.")]}
            )
        # Ended already (by a colleague, or by this device's earlier delete): it stays as it ended.
        residence = record if record.until else residence_end(residence=record, until=timezone.localdate())
        return mutation_result(mutation_id, "applied", id=str(residence.pk), version=residence.version)
    return _update(context, mutation, kind, record, meta)


def _visible(context: PushContext, kind: str, record_id: Any) -> Any:
    """The canonical record ``record_id`` denotes (through aliases), if the user may see it."""
    try:
        given = uuid.UUID(str(record_id))
    except ValueError as exc:
        raise ValidationError({"id": [_("Not a valid id.")]}) from exc
    record: Any
    if kind == RecordType.RESIDENCE:
        record = registry.residences_for(context.user).filter(pk=given).first()
    else:
        canonical = registry.resolve_alias(record_type=kind, record_id=given) or given
        queryset = (
            registry.buildings_for(context.user)
            if kind == RecordType.BUILDING
            else registry.people_for(context.user)
        )
        record = queryset.filter(pk=canonical).first()
    if record is None:
        raise ValidationError({"id": [_("No such record among those you may change.")]})
    return record


def _server_changed_since(kind: str, record_id: uuid.UUID, base_version: int) -> set[str]:
    names: set[str] = set()
    for fields in JournalEntry.objects.filter(
        record_type=kind, record_id=record_id, version__gt=base_version
    ).values_list("fields", flat=True):
        names.update(_FIELD_NAMES.get(name, name) for name in fields)
    return names


def _comparable(record: Any, field: str, value: Any) -> tuple[Any, Any]:
    """(server value, device value) in one comparable form."""
    if field in {"id_number", "phone", "passport_number"}:
        column = {
            "id_number": "id_number_index",
            "phone": "phone_index",
            "passport_number": "passport_index",
        }[field]
        return getattr(record, column), blind_index(value) if value else ""
    if field in {"location", "footprint"}:
        current = getattr(record, field)
        same = current is not None and value is not None and current.equals_exact(value, 1e-6)
        return (
            (True, True)
            if same or (current is None and value is None)
            else (getattr(current, "wkt", None), getattr(value, "wkt", None))
        )
    if field == "landlord_id":
        return str(record.landlord_id or ""), str(value or "")
    current = getattr(record, field)
    if field == "tags":
        return sorted(current or []), sorted(value or [])
    if isinstance(current, dt.date):
        return current.isoformat(), value.isoformat() if value else None
    return current, value


def _update(
    context: PushContext, mutation: dict[str, Any], kind: str, record: Any, meta: ObservationMeta
) -> dict[str, Any]:
    mutation_id, base = mutation["mutation_id"], mutation.get("base_version")
    if not isinstance(base, int) or isinstance(base, bool) or base < 1:
        raise ValidationError({"base_version": [_("Required for update: the version the device edited.")]})
    if kind == RecordType.RESIDENCE:
        return _residence_update(mutation, record)
    serializer = BuildingDataSerializer if kind == RecordType.BUILDING else PersonDataSerializer
    sent = mutation.get("data") or {}
    data = {
        k: v
        for k, v in _validated(serializer, sent, partial=True).items()
        if k in sent and k not in {"photos", "residence"}
    }
    if meta.location is not None:
        data["location"] = meta.location
    server_changed = _server_changed_since(kind, record.pk, base) if base < record.version else set()
    conflicts, changes, kept = [], {}, {}
    for field, value in data.items():
        server_value, device_value = _comparable(record, field, value)
        if field in server_changed and server_value != device_value:
            device = sent.get(field, mutation.get("location"))
            kept[field] = _kept_device_value(field, device)
            conflicts.append({"field": field, "device": _masked(field, device),
                              "server": _shown(record, field), "server_version": record.version})  # fmt: skip
        elif server_value != device_value:
            changes[field] = value
    if changes:
        update = building_update if kind == RecordType.BUILDING else person_update
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
            server_version=record.version, mutation_id=mutation_id, user=context.user,
        )  # fmt: skip
    status = "conflict" if conflicts else "applied"
    return mutation_result(
        mutation_id, status, id=str(record.pk), version=record.version, conflicts=conflicts
    )


def _residence_update(mutation: dict[str, Any], residence: Any) -> dict[str, Any]:
    """The fields a device changed of a residence: room, relation, dates (its person and building stay)."""
    sent = mutation.get("data") or {}
    data = _validated(ResidenceInputSerializer, {"person_id": residence.person_id, "building_id": residence.building_id,
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


def _kept_device_value(field: str, value: Any) -> Any:
    """A conflicting device value as the conflict keeps it: a personal number sealed, like the record's."""
    return {"sealed": seal(value)} if field in NUMBER_MASKS and value else value


def _masked(field: str, value: Any) -> Any:
    """A device value as shown (to the device, and in the supervisors' queue): personal numbers masked."""
    return NUMBER_MASKS[field](value) if field in NUMBER_MASKS and value else value


def device_value_of(conflict: ConflictItem) -> Any:
    """The device's value of ``conflict`` in full (for applying it)."""
    value = conflict.device_value
    return unseal(value["sealed"]) if conflict.field in NUMBER_MASKS and isinstance(value, dict) else value


def conflict_device_value_shown(conflict: ConflictItem) -> Any:
    return _masked(conflict.field, device_value_of(conflict))


def _shown(record: Any, field: str) -> Any:
    if field in {"id_number", "phone", "passport_number"}:
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
def conflict_resolve(*, conflict: ConflictItem, keep: str, actor: Any) -> ConflictItem:
    """A supervisor keeps the server's value or applies the device's (as a new version)."""
    conflict = ConflictItem.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != ConflictStatus.OPEN:
        from apps.core.errors import Conflict

        raise Conflict(_("This conflict has already been resolved."))
    if keep == "device":
        model: Any = Building if conflict.record_type == RecordType.BUILDING else Person
        record: Any = model.objects.get(pk=conflict.record_id)
        serializer = (
            BuildingDataSerializer if conflict.record_type == RecordType.BUILDING else PersonDataSerializer
        )
        if conflict.field == "location":
            from apps.registry.inputs import PointInputField

            value = PointInputField().to_internal_value(conflict.device_value)
        else:
            value = _validated(serializer, {conflict.field: device_value_of(conflict)}, partial=True)[
                conflict.field
            ]
        update = building_update if conflict.record_type == RecordType.BUILDING else person_update
        meta = ObservationMeta(collector=actor)
        update(**{conflict.record_type: record}, changes={conflict.field: value}, expected_version=record.version,
               meta=meta, payload={"resolved_conflict": str(conflict.pk)})  # fmt: skip
    elif keep != "server":
        raise ValidationError({"keep": [_("Must be server or device.")]})
    conflict.status, conflict.resolution = ConflictStatus.RESOLVED, keep
    conflict.resolved_by, conflict.resolved_at = actor, timezone.now()
    conflict.save()
    return conflict


def applied_mutations_prune(*, older_than_days: int = RESULTS_KEPT_DAYS + 1) -> int:
    """Forget mutation results and replayable responses older than the retention period."""
    cutoff = timezone.now() - dt.timedelta(days=max(older_than_days, RESULTS_KEPT_DAYS))
    from .models import ReplayableResponse

    deleted, _ = AppliedMutation.objects.filter(created_at__lt=cutoff).delete()
    ReplayableResponse.objects.filter(created_at__lt=cutoff).delete()
    return deleted
