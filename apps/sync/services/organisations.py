"""Organisations and employments from a device: collected (applied or merged), updated, employments ended.

An organisation is collected like a building (matched on its verified credit code, its building and where it
is); an update is applied three ways: fields the server also changed since ``base_version`` to another value
keep the server's value and come back as conflicts. An employment of a pair that already has an open one is
that employment (answered ``merged``); a delete ends it. Every record a mutation names passes the gate.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.registry.models import Building, Person, RecordType
from apps.registry.organisations.inputs import EmploymentDataSerializer, OrganisationDataSerializer
from apps.registry.organisations.models import Employment, Organisation
from apps.registry.organisations.services import (
    employment_apply,
    employment_end,
    organisation_collect,
    organisation_update,
)

from .common import PushContext, collected, meta_of, mutation_result, validated, visible_record
from .dispatch import MutationHandler, mutation_handler_register
from .merge import _server_changed_since, base_version_of

ORGANISATION, EMPLOYMENT = RecordType.ORGANISATION.value, RecordType.EMPLOYMENT.value


def _building_checked(context: PushContext, data: dict[str, Any]) -> None:
    """The building an organisation names, through the gate; its canonical id replaces an alias."""
    if data.get("building_id"):
        building = visible_record(context, Building, data["building_id"], field="building_id")
        data["building_id"] = building.pk


def organisation_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    mutation_id, op = mutation["mutation_id"], mutation["op"]
    meta = meta_of(context, mutation)
    if op == "create":
        data = validated(OrganisationDataSerializer, mutation.get("data"))
        try:
            _building_checked(context, data)
        except ValidationError as exc:
            raise ValidationError({"data": exc.detail}) from exc
        return collected(mutation_id, organisation_collect(data=data, meta=meta, payload=mutation))
    organisation = visible_record(context, Organisation, mutation.get("id"))
    if op == "delete":
        raise ValidationError({"op": [_("Organisations are not deleted from a device; mark them closed.")]})
    base = base_version_of(mutation, organisation)
    changes = validated(OrganisationDataSerializer, mutation.get("data"), partial=True)
    try:
        _building_checked(context, changes)
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc
    server_changed = (
        _server_changed_since(ORGANISATION, organisation.pk, base) if base < organisation.version else set()
    )
    conflicts = []
    for name in sorted(set(changes) & server_changed):
        server = getattr(organisation, name, None)
        if name.endswith("_id") or name in {"legal_rep_id_number", "phone"}:
            server = str(server) if server is not None and name.endswith("_id") else server
        if name in {"legal_rep_id_number", "phone"} or server != changes[name]:
            conflicts.append({"field": name, "device": _plain(changes.pop(name)), "server": _plain(server),
                              "server_version": organisation.version})  # fmt: skip
    if changes:
        organisation = organisation_update(
            organisation=organisation, changes=changes, expected_version=organisation.version, meta=meta,
            payload=mutation,
        )  # fmt: skip
    status = "conflict" if conflicts else "applied"
    return mutation_result(mutation_id, status, id=str(organisation.pk), version=organisation.version,
                           conflicts=conflicts)  # fmt: skip


def _plain(value: Any) -> Any:
    """A value as JSON (personal numbers are never echoed back)."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


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


def register_organisation_handlers() -> None:
    mutation_handler_register(MutationHandler(kind=ORGANISATION, apply=organisation_mutation))
    mutation_handler_register(MutationHandler(kind=EMPLOYMENT, apply=employment_mutation))
