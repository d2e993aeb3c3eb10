"""Organisations and employments from a device: collected (applied or merged), updated, employments ended.

An organisation is collected like a building (matched on its verified credit code, its building and where it
is); an update is applied three ways: fields the server also changed since ``base_version`` to another value
keep the server's value and come back as conflicts, queued as conflict items for the organisation's
dispatchers (personal numbers sealed, shown masked). An employment of a pair that already has an open one is
that employment (answered ``merged``); a delete ends it. Every record a mutation names passes the gate.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.core.crypto import blind_index
from apps.registry.models import Building, Person, RecordType
from apps.registry.organisations.batch import organisations_collect_batch
from apps.registry.organisations.inputs import EmploymentDataSerializer, OrganisationDataSerializer
from apps.registry.organisations.models import Employment, Organisation
from apps.registry.organisations.services import (
    employment_apply,
    employment_end,
    organisation_collect,
    organisation_update,
)

from ..models import ConflictItem
from .common import PushContext, collected, meta_of, mutation_result, validated, visible_record
from .conflicts import kept_device_value, masked, shown
from .dispatch import MutationHandler, mutation_handler_register
from .merge import _server_changed_since, base_version_of, locked
from .records import collect_run, new_without_photos

ORGANISATION, EMPLOYMENT = RecordType.ORGANISATION.value, RecordType.EMPLOYMENT.value


def _building_checked(context: PushContext, data: dict[str, Any]) -> None:
    """The building an organisation names, through the gate; its canonical id replaces an alias."""
    if data.get("building_id"):
        building = visible_record(context, Building, data["building_id"], field="building_id")
        data["building_id"] = building.pk


def _in_data(error: ValidationError) -> ValidationError:
    """The building an organisation names is a field of its data: its error is answered under ``data``."""
    if isinstance(error.detail, dict) and "building_id" in error.detail:
        return ValidationError({"data": error.detail})
    return error


def organisation_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    mutation_id, op = mutation["mutation_id"], mutation["op"]
    meta = meta_of(context, mutation)
    if op == "create":
        data = validated(OrganisationDataSerializer, mutation.get("data"))
        try:  # the building passes the gate in the service, as it does in a run
            return collected(mutation_id, organisation_collect(data=data, meta=meta, payload=mutation))
        except ValidationError as exc:
            raise _in_data(exc) from exc
    organisation = visible_record(context, Organisation, mutation.get("id"))
    if op == "delete":
        raise ValidationError({"op": [_("Organisations are not deleted from a device; mark them closed.")]})
    organisation = locked(organisation)
    base = base_version_of(mutation, organisation)
    sent = mutation.get("data") or {}
    changes = validated(OrganisationDataSerializer, sent, partial=True)
    photos = changes.pop("photos", None)
    try:
        if photos:  # not applied by an update, but naming photos out of sight is refused (as over REST)
            check_referable(user=context.user, hashes=photos)
        _building_checked(context, changes)
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc
    server_changed = (
        _server_changed_since(ORGANISATION, organisation.pk, base) if base < organisation.version else set()
    )
    conflicts, kept = [], {}
    for name in sorted(set(changes) & server_changed):
        if name in sent and _differs(organisation, name, changes[name]):
            changes.pop(name)
            kept[name] = kept_device_value(name, sent[name])
            conflicts.append({"field": name, "device": masked(name, sent[name]), "server": shown(organisation, name),
                              "server_version": organisation.version})  # fmt: skip
    if changes:
        organisation = organisation_update(
            organisation=organisation, changes=changes, expected_version=organisation.version, meta=meta,
            payload=mutation,
        )  # fmt: skip
    for conflict in conflicts:  # the server's value still holds at the version after this mutation
        conflict["server_version"] = organisation.version
        ConflictItem.objects.create(
            record_type=ORGANISATION, record_id=organisation.pk, grid_id=organisation.grid_id, field=conflict["field"],
            device_value=kept[conflict["field"]], server_value=conflict["server"], base_version=base,
            server_version=organisation.version, mutation_id=mutation_id, user_id=context.user.pk,
        )  # fmt: skip
    status = "conflict" if conflicts else "applied"
    return mutation_result(mutation_id, status, id=str(organisation.pk), version=organisation.version,
                           conflicts=conflicts)  # fmt: skip


# The personal numbers of an organisation: compared by blind index (the sealed bytes are randomised).
_INDEXES = {"legal_rep_id_number": "legal_rep_id_number_index", "phone": "phone_index"}


def _differs(organisation: Organisation, name: str, value: Any) -> bool:
    """Whether the device's (validated) value of ``name`` differs from the organisation's."""
    if name in _INDEXES:
        return getattr(organisation, _INDEXES[name]) != (blind_index(value) if value else "")
    current = getattr(organisation, name, None)
    if name == "tags":
        return sorted(current or []) != sorted(value or [])
    if name.endswith("_id"):
        return str(current or "") != str(value or "")
    return bool(current != value)


def employment_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    mutation_id, op = mutation["mutation_id"], mutation["op"]
    if op == "create":
        data = validated(EmploymentDataSerializer, mutation.get("data"))
        try:
            person = visible_record(context, Person, data["person_id"], field="person_id")
            organisation = visible_record(
                context, Organisation, data["organisation_id"], field="organisation_id"
            )
        except ValidationError as exc:
            raise ValidationError({"data": exc.detail}) from exc
        employment_id = mutation.get("id") or None
        if employment_id is not None:
            employment_id = meta_of(context, mutation).submitted_id
        employment, created = employment_apply(
            person=person, organisation=organisation, role=data["role"], since=data["since"], until=data["until"],
            employment_id=employment_id, actor=context.user,
        )  # fmt: skip
        if created:
            return mutation_result(mutation_id, "applied", id=str(employment.pk), version=employment.version)
        return mutation_result(
            mutation_id, "merged", id=str(employment.pk), version=employment.version,
            merged_into=str(employment.pk),
            match={"score": 1.0, "reasons": [_("the same person already works at this organisation")]},
        )  # fmt: skip
    employment = visible_record(context, Employment, mutation.get("id"))
    if op == "delete":
        # Ended already (by a colleague, or by this device's earlier delete): it stays as it ended.
        if employment.until is None:
            employment = employment_end(employment=employment, until=timezone.localdate(), actor=context.user)
        return mutation_result(mutation_id, "applied", id=str(employment.pk), version=employment.version)
    data = validated(EmploymentDataSerializer, mutation.get("data"), partial=True)
    if {"person_id", "organisation_id"} & set(data):
        raise ValidationError({"data": {"organisation_id": [
            _("Who works where is not changed; end this employment and record another.")]}})  # fmt: skip
    if employment.until is not None:
        raise ValidationError({"id": [_("This employment has ended.")]})
    employment, _created = employment_apply(
        person=employment.person, organisation=employment.organisation, role=data.get("role", ""),
        since=data.get("since"), until=data.get("until"), actor=context.user,
    )  # fmt: skip
    return mutation_result(mutation_id, "applied", id=str(employment.pk), version=employment.version)


def _collect_organisations(context: PushContext, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run of new organisations, collected together (``organisations_collect_batch``)."""

    def collect_batch(*, submissions: list[Any], collector: Any) -> list[Any]:
        outcomes = organisations_collect_batch(submissions=submissions, collector=collector)
        return [_in_data(o) if isinstance(o, ValidationError) else o for o in outcomes]

    return collect_run(context, mutations, OrganisationDataSerializer(), collect_batch)


def register_organisation_handlers() -> None:
    mutation_handler_register(MutationHandler(
        kind=ORGANISATION, apply=organisation_mutation, together=new_without_photos,
        apply_run=_collect_organisations,
    ))  # fmt: skip
    mutation_handler_register(MutationHandler(kind=EMPLOYMENT, apply=employment_mutation))
