"""Collecting and editing organisations (实有单位), and who works there (从业人员)."""

import datetime as dt
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.attachments.services import attachments_link
from apps.core.credit_code import is_individual_business
from apps.core.crypto import blind_index, current_key_id, seal
from apps.core.geo.cells import cell_of, neighbourhood
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.visibility import visible_get
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..matching import best
from ..models import Building, Outcome, Person, RecordType
from ..selectors import resolve_alias
from ..services.common import (
    CollectOutcome,
    ObservationMeta,
    alias_add,
    check_new_id,
    grid_at,
    held_by_another,
    id_lock,
    locked_for_update,
    move_to,
    queue_review,
    record_observation,
    save_update,
)
from ..services.merging import absorb
from .matching import OrganisationEvidence, normalise_org_name, score_organisation
from .models import Employment, Organisation, OrganisationKind, OrganisationTag
from .selectors import organisation_candidates

EDITABLE = [
    "name", "credit_code", "code_unverified", "kind", "industry", "building_id", "room", "floor", "legal_rep_name",
    "legal_rep_id_number", "phone", "area_m2", "staff", "beds", "seats", "tags", "status", "location",
]  # fmt: skip
# (field sent, field kept): personal numbers are sealed and blind-indexed, like a person's.
NUMBERS = (("legal_rep_id_number", "legal_rep_id_number"), ("phone", "phone"))


def nine_small(
    *, area_m2: float | None, beds: int | None, seats: int | None, staff: int | None
) -> bool | None:
    """Whether the measures make a 九小场所: every measure given within its threshold (settings); None when
    no measure is given (then the tag is left as the collector set it)."""
    limits = (
        (area_m2, settings.GRIDAPI_NINE_SMALL_MAX_AREA_M2), (beds, settings.GRIDAPI_NINE_SMALL_MAX_BEDS),
        (seats, settings.GRIDAPI_NINE_SMALL_MAX_SEATS), (staff, settings.GRIDAPI_NINE_SMALL_MAX_STAFF),
    )  # fmt: skip
    given = [(value, limit) for value, limit in limits if value is not None]
    if not given:
        return None
    return all(value <= limit for value, limit in given)


def derived_tags(tags: list[str], measures: dict[str, Any]) -> list[str]:
    small = nine_small(**{name: measures.get(name) for name in ("area_m2", "beds", "seats", "staff")})
    result = set(tags)
    if small is True:
        result.add(OrganisationTag.NINE_SMALL)
    elif small is False:
        result.discard(OrganisationTag.NINE_SMALL)
    return sorted(result)


def _numbers(data: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for source, target in NUMBERS:
        value = data.get(source) or ""
        fields[f"{target}_sealed"] = seal(value) if value else ""
        fields[f"{target}_index"] = blind_index(value) if value else ""
    fields["pii_key_id"] = current_key_id()
    return fields


def _code_fields(code: str, unverified: bool) -> dict[str, Any]:
    """The code as printed, its flag, and the key that decides (only a code that passed its checks)."""
    return {
        "credit_code": code,
        "code_unverified": bool(code and unverified),
        "code_key": "" if unverified else code,
    }


def building_unseen() -> ValidationError:
    """The answer to a building that does not exist or that the collector may not see (the same for both)."""
    return ValidationError({"building_id": [_("No such building among those you may see.")]})


def no_place() -> ValidationError:
    return ValidationError({"location": [_("Give where the organisation is: a location or a building.")]})


def _building(building_id: Any, collector: Any) -> Building | None:
    """The building an organisation names, by any of its ids, through the visibility gate: one the collector
    may see (the same field error for one that does not exist and one out of sight)."""
    if not building_id:
        return None
    if collector is not None:
        building = visible_get(Building, collector, building_id)
    else:  # the demo loader and other trusted callers
        canonical = resolve_alias(record_type=RecordType.BUILDING, record_id=building_id)
        building = (
            Building.objects.filter(pk=canonical, merged_into__isnull=True).first() if canonical else None
        )
    if building is None:
        raise building_unseen()
    return building


def _check_photos(photos: Any, meta: ObservationMeta) -> None:
    """Photos named must be ones the collector uploaded or may read (naming one makes it readable)."""
    if photos and meta.collector is not None:
        check_referable(user=meta.collector, hashes=photos)


def _link_photos(data: dict[str, Any], record_id: Any, grid_id: Any) -> None:
    if data.get("photos"):
        attachments_link(
            hashes=data["photos"], record_type=RecordType.ORGANISATION, record_id=record_id, grid_id=grid_id
        )


def _kind(data: dict[str, Any], code: str, unverified: bool) -> str:
    if data.get("kind"):
        return str(data["kind"])
    return OrganisationKind.INDIVIDUAL if code and not unverified and is_individual_business(code) else ""


def organisation_fields(
    *, data: dict[str, Any], building: Building | None, location: Any, cell: str, grid_id: Any
) -> dict[str, Any]:
    """The columns of a collected organisation (``data`` validated): numbers sealed, name normalised, tags
    derived from the measures."""
    code, unverified = data.get("credit_code") or "", bool(data.get("code_unverified"))
    measures = {name: data.get(name) for name in ("area_m2", "staff", "beds", "seats")}
    return {
        "name": data["name"].strip(),
        "name_norm": normalise_org_name(data["name"]),
        **_code_fields(code, unverified),
        "kind": _kind(data, code, unverified),
        "industry": data.get("industry") or "",
        "building_id": building.pk if building else None,
        "room": data.get("room") or "",
        "floor": data.get("floor") or "",
        "legal_rep_name": data.get("legal_rep_name") or "",
        **_numbers(data),
        **measures,
        "tags": derived_tags(list(data.get("tags") or []), measures),
        "status": data.get("status") or "operating",
        "location": location,
        "cell": cell,
        "grid_id": grid_id,
    }


def evidence_of(fields: dict[str, Any]) -> OrganisationEvidence:
    """What scoring compares of a collected organisation (``organisation_fields``)."""
    location = fields["location"]
    return OrganisationEvidence(
        name_norm=fields["name_norm"], lon=location.x, lat=location.y, code_key=fields["code_key"],
        building_id=fields["building_id"], room=fields["room"], floor=fields["floor"],
        phone_index=fields["phone_index"], legal_rep_id_number_index=fields["legal_rep_id_number_index"],
        kind=fields["kind"],
    )  # fmt: skip


@transaction.atomic
def organisation_collect(
    *, data: dict[str, Any], meta: ObservationMeta, payload: dict[str, Any]
) -> CollectOutcome:
    """Record one collection of an organisation and return the canonical record.

    ``data`` is validated (``inputs.OrganisationDataSerializer``). Serialises on the location's cell
    neighbourhood, the building and the verified credit code, so twenty devices collecting the same new shop
    at once make one organisation. The same verified code decides alone; otherwise candidates are scored
    (see ``matching``) and merged, queued for review or left apart by the organisation thresholds.
    """
    _check_photos(data.get("photos"), meta)
    building = _building(data.get("building_id"), meta.collector)
    location = meta.location or (building.location if building else None)
    if location is None:
        raise no_place()
    grid = grid_at(location, collector=meta.collector)
    cell = cell_of(location.x, location.y)
    code, unverified = data.get("credit_code") or "", bool(data.get("code_unverified"))
    codes = _code_fields(code, unverified)
    advisory_xact_lock(
        [("organisation-cell", c) for c in neighbourhood(cell)]
        + ([("organisation-building", str(building.pk))] if building else [])
        + ([("organisation-code", codes["code_key"])] if codes["code_key"] else [])
        + id_lock(meta.submitted_id)
    )
    check_new_id(record_type=RecordType.ORGANISATION, record_id=meta.submitted_id)
    fields = organisation_fields(data=data, building=building, location=location, cell=cell, grid_id=grid.pk)
    evidence = evidence_of(fields)
    auto = settings.GRIDAPI_MATCH_ORGANISATION_AUTO
    candidates = organisation_candidates(
        cell=cell,
        code_key=fields["code_key"],
        building_id=fields["building_id"],
        name_norm=fields["name_norm"],
    )
    match = best([score_organisation(evidence, c, auto_threshold=auto) for c in candidates])
    if match and (match.deterministic or match.score >= auto):
        _link_photos(data, match.record.pk, grid.pk)
        return absorb(
            record_type=RecordType.ORGANISATION, survivor_id=match.record.pk, fields=fields, meta=meta, match=match,
            payload=payload,
        )  # fmt: skip
    organisation = Organisation.objects.create(id=meta.submitted_id or uuid7(), **fields)
    journal_record(
        record_type=RecordType.ORGANISATION, record_id=organisation.pk, change=Change.CREATED,
        version=organisation.version, grid_id=grid.pk, actor=meta.collector,
    )  # fmt: skip
    meta = replace(meta, submitted_id=organisation.pk)
    alias_add(record_type=RecordType.ORGANISATION, alias=organisation.pk, canonical_id=organisation.pk)
    _link_photos(data, organisation.pk, grid.pk)
    observation = record_observation(
        record_type=RecordType.ORGANISATION, record_id=organisation.pk, meta=meta, payload=payload,
        outcome=Outcome.CREATED, match=match,
    )  # fmt: skip
    review = None
    if match and match.score >= settings.GRIDAPI_MATCH_ORGANISATION_REVIEW:
        review = queue_review(record_type=RecordType.ORGANISATION, record=organisation, match=match)
    return CollectOutcome(organisation, Outcome.CREATED, observation, match=match, review=review)


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, changes: dict[str, Any], expected_version: int, meta: ObservationMeta,
    payload: dict[str, Any],
) -> Organisation:  # fmt: skip
    """Apply ``changes`` if the organisation is still at ``expected_version`` (else 412). Photos are not
    changed by an update, but naming photos out of sight is refused all the same (they reach the observation)."""
    _check_photos(changes.pop("photos", None), meta)
    code = changes.get("credit_code") or ""
    unverified = bool(changes.get("code_unverified"))
    if code and not unverified:  # before the row, in the order collections take them
        advisory_xact_lock([("organisation-code", code)])
    organisation = locked_for_update(
        record=organisation, expected_version=expected_version, changes=changes, editable=EDITABLE
    )
    previous_grid = organisation.grid_id
    fields_changed = list(changes)
    if "credit_code" in changes or "code_unverified" in changes:
        code = changes.pop("credit_code", organisation.credit_code)
        unverified = bool(changes.pop("code_unverified", organisation.code_unverified))
        for name, value in _code_fields(code, unverified).items():
            setattr(organisation, name, value)
        if organisation.code_key and held_by_another(
            Organisation, column="code_key", value=organisation.code_key, record_id=organisation.pk
        ):
            raise ValidationError(
                {"credit_code": [_("Another organisation has this credit code; merge them instead.")]}
            )
    numbers = {source: changes.pop(source) for source, _target in NUMBERS if source in changes}
    if numbers:
        sealed = _numbers(numbers)
        for source, target in NUMBERS:
            if source in numbers:
                setattr(organisation, f"{target}_sealed", sealed[f"{target}_sealed"])
                setattr(organisation, f"{target}_index", sealed[f"{target}_index"])
        organisation.pii_key_id = sealed["pii_key_id"]
    if "name" in changes:
        organisation.name_norm = normalise_org_name(changes["name"])
    if "building_id" in changes:
        building = _building(changes.pop("building_id"), meta.collector)
        organisation.building_id = building.pk if building else None
    if "location" in changes:
        move_to(record=organisation, location=changes.pop("location"), collector=meta.collector)
    for name, value in changes.items():
        setattr(organisation, name, value)
    measures = {name: getattr(organisation, name) for name in ("area_m2", "staff", "beds", "seats")}
    organisation.tags = derived_tags(list(organisation.tags or []), measures)
    save_update(
        record_type=RecordType.ORGANISATION, record=organisation, meta=meta, payload=payload, fields=fields_changed,
        previous_grid=previous_grid,
    )  # fmt: skip
    return organisation


def _canonical(model: Any, record_type: str, record_id: Any, field: str) -> Any:
    canonical = resolve_alias(record_type=record_type, record_id=record_id) or record_id
    record = model.objects.filter(pk=canonical, merged_into__isnull=True).first()
    if record is None:
        raise ValidationError({field: [_("No such record.")]})
    return record


@transaction.atomic
def employment_apply(
    *, person: Person | Any, organisation: Organisation | Any, role: str = "", since: dt.date | None = None,
    until: dt.date | None = None, employment_id: Any = None, actor: Any = None,
) -> tuple[Employment, bool]:  # fmt: skip
    """Record that ``person`` works at ``organisation`` (records or ids, aliases resolved). An open employment
    of the same pair is updated, not duplicated. Returns (employment, created)."""
    if not isinstance(person, Person):
        person = _canonical(Person, RecordType.PERSON, person, "person_id")
    if not isinstance(organisation, Organisation):
        organisation = _canonical(Organisation, RecordType.ORGANISATION, organisation, "organisation_id")
    if person.merged_into_id or organisation.merged_into_id:
        raise ValidationError({"id": [_("Employments are recorded on canonical records only.")]})
    if since and until and until < since:
        raise ValidationError({"until": [_("Must not be before since.")]})
    advisory_xact_lock([("employment", f"{person.pk}:{organisation.pk}"), *id_lock(employment_id)])
    existing = (
        Employment.objects.select_for_update()
        .filter(person=person, organisation=organisation, until__isnull=True)
        .first()
    )
    if existing is not None:
        changed = []
        for name, value in (
            ("role", role or existing.role),
            ("since", since or existing.since),
            ("until", until),
        ):
            if getattr(existing, name) != value:
                setattr(existing, name, value)
                changed.append(name)
        if existing.since and existing.until and existing.until < existing.since:
            raise ValidationError({"until": [_("Must not be before since.")]})
        if changed:
            existing.version += 1
            existing.save()
            _journal(existing, Change.UPDATED, organisation.grid_id, changed, actor)
        return existing, False
    if employment_id and Employment.objects.filter(pk=employment_id).exists():
        raise ValidationError({"id": [_("This id is already used by another record.")]})
    employment = Employment.objects.create(
        id=employment_id or uuid7(),
        person=person,
        organisation=organisation,
        role=role,
        since=since,
        until=until,
    )
    _journal(employment, Change.CREATED, organisation.grid_id, [], actor)
    return employment, True


@transaction.atomic
def employment_end(*, employment: Employment, until: dt.date, actor: Any = None) -> Employment:
    """The person stopped working there on ``until``."""
    employment = Employment.objects.select_for_update().select_related("organisation").get(pk=employment.pk)
    if employment.until is not None:
        raise ValidationError({"until": [_("This employment has already ended.")]})
    if employment.since and until < employment.since:
        raise ValidationError({"until": [_("Must not be before since.")]})
    employment.until = until
    employment.version += 1
    employment.save(update_fields=["until", "version", "updated_at"])
    _journal(employment, Change.UPDATED, employment.organisation.grid_id, ["until"], actor)
    return employment


def _journal(employment: Employment, change: str, grid_id: Any, fields: list[str], actor: Any) -> None:
    journal_record(
        record_type=RecordType.EMPLOYMENT, record_id=employment.pk, change=change, version=employment.version,
        grid_id=grid_id, fields=fields, actor=actor,
    )  # fmt: skip
