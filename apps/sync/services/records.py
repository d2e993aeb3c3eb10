"""Registry mutations: buildings, people and residences created, updated or (residences) ended from a device."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, ValidationError

from apps.registry.inputs import (
    BuildingDataSerializer,
    PersonDataSerializer,
    ResidenceInputSerializer,
)
from apps.registry.models import Building, Person, RecordType, Residence
from apps.registry.services import (
    CollectOutcome,
    Submission,
    building_collect,
    buildings_collect_batch,
    person_collect,
    residence_collect,
    residence_end,
)

from .common import (
    PushContext,
    collected,
    errors_of,
    meta_of,
    mutation_result,
    validated,
    validated_with,
    visible_record,
)
from .dispatch import MutationHandler, mutation_handler_register
from .merge import record_update, residence_changes

MODELS: dict[str, Any] = {
    RecordType.BUILDING: Building,
    RecordType.PERSON: Person,
    RecordType.RESIDENCE: Residence,
}


def _record_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    """A building or person: create (collected: applied or merged) or update (three-way merge)."""
    kind, mutation_id = mutation["type"], mutation["mutation_id"]
    meta = meta_of(context, mutation)
    if mutation["op"] == "create":
        if kind == RecordType.BUILDING:
            data = validated(BuildingDataSerializer, mutation.get("data"))
            return collected(mutation_id, building_collect(data=data, meta=meta, payload=mutation))
        data = validated(PersonDataSerializer, mutation.get("data"))
        return collected(mutation_id, person_collect(data=data, meta=meta, payload=mutation))
    record = visible_record(context, MODELS[kind], mutation.get("id"))
    if mutation["op"] == "delete":
        raise ValidationError(
            {"op": [_("Buildings and people are not deleted from a device; report it instead.")]}
        )
    return record_update(context, mutation, kind, record, meta)


def _residence_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    mutation_id = mutation["mutation_id"]
    if mutation["op"] == "create":
        data = validated(ResidenceInputSerializer, mutation.get("data"))
        person = visible_record(context, Person, data["person_id"], field="person_id")
        building = visible_record(context, Building, data["building_id"], field="building_id")
        residence, _created = residence_collect(
            person=person, building=building, room=data["room"], relation=data["relation"], since=data["since"],
            until=data["until"],
        )  # fmt: skip
        return mutation_result(mutation_id, "applied", id=str(residence.pk), version=residence.version)
    residence = visible_record(context, Residence, mutation.get("id"))
    if mutation["op"] == "delete":
        # Ended already (by a colleague, or by this device's earlier delete): it stays as it ended.
        if not residence.until:
            residence = residence_end(residence=residence, until=timezone.localdate())
        return mutation_result(mutation_id, "applied", id=str(residence.pk), version=residence.version)
    return residence_changes(mutation, residence)


def new_without_photos(mutation: dict[str, Any]) -> bool:
    """A new record without photos (photo links are checked one by one) joins a run collected together."""
    data = mutation.get("data")
    return mutation.get("op") == "create" and isinstance(data, dict) and not data.get("photos")


def collect_run(
    context: PushContext, mutations: list[dict[str, Any]], validator: Any, collect_batch: Any
) -> list[dict[str, Any]]:
    """A run of new records of one type, validated by ``validator`` (one instance: building a serializer's fields
    costs more than validating) and collected together by ``collect_batch`` (a bounded number of queries)."""
    results: list[dict[str, Any] | None] = [None] * len(mutations)
    submissions, positions = [], []
    for index, mutation in enumerate(mutations):
        try:
            data = validated_with(validator, mutation.get("data"))
            submissions.append(Submission(data=data, meta=meta_of(context, mutation), payload=mutation))
            positions.append(index)
        except (ValidationError, DjangoValidationError, APIException) as exc:
            results[index] = mutation_result(mutation["mutation_id"], "rejected", errors=errors_of(exc))
    outcomes = collect_batch(submissions=submissions, collector=context.user)
    for index, outcome in zip(positions, outcomes, strict=True):
        mutation_id = mutations[index]["mutation_id"]
        if isinstance(outcome, CollectOutcome):
            results[index] = collected(mutation_id, outcome)
        else:
            results[index] = mutation_result(mutation_id, "rejected", errors=errors_of(outcome))
    return [result for result in results if result is not None]


def _collect_buildings(context: PushContext, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run of new buildings, collected together (``buildings_collect_batch``)."""
    return collect_run(context, mutations, BuildingDataSerializer(), buildings_collect_batch)


def register_record_handlers() -> None:
    mutation_handler_register(MutationHandler(
        kind=RecordType.BUILDING.value, apply=_record_mutation, together=new_without_photos, apply_run=_collect_buildings,
    ))  # fmt: skip
    mutation_handler_register(MutationHandler(kind=RecordType.PERSON.value, apply=_record_mutation))
    mutation_handler_register(MutationHandler(kind=RecordType.RESIDENCE.value, apply=_residence_mutation))
