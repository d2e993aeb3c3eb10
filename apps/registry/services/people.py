"""Collecting and editing people."""

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.crypto import blind_index, current_key_id, seal
from apps.core.geo.cells import cell_of
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.principals import Principal
from apps.core.text import name_key, normalise_name
from apps.core.visibility import visible_get
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..inputs import check_observation
from ..matching import PersonEvidence, best, score_person
from ..models import Building, Outcome, Person, RecordType, Residence
from ..selectors import buildings_of_people, person_candidates, resolve_alias
from .common import (
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
from .merging import absorb
from .moves import merge_homes_note
from .residences import residence_collect, residence_end

EDITABLE = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "passport_number",
    "household_type",
    "tags",
    "location",
]


def _numbers(data: dict[str, Any]) -> dict[str, str]:
    """Sealed values and blind indexes of the personal numbers present in ``data``."""
    fields: dict[str, str] = {}
    for source, target in (("id_number", "id_number"), ("phone", "phone"), ("passport_number", "passport")):
        value = data.get(source) or ""
        fields[f"{target}_sealed"] = seal(value) if value else ""
        fields[f"{target}_index"] = blind_index(value) if value else ""
    fields["pii_key_id"] = current_key_id()
    return fields


def _resolve_building(building_id: Any, collector: Principal | None) -> Building:
    """The building a new person's residence names, through the visibility gate (any of its ids)."""
    if collector is not None:
        building = visible_get(Building, collector, building_id)
    else:
        canonical = resolve_alias(record_type=RecordType.BUILDING, record_id=building_id)
        building = Building.objects.filter(pk=canonical).first() if canonical else None
    if building is None:
        raise ValidationError(
            {"residence": {"building_id": [_("No such building among those you may see.")]}}
        )
    return building


@transaction.atomic
def person_collect(*, data: dict[str, Any], meta: ObservationMeta, payload: dict[str, Any]) -> CollectOutcome:
    """Record one collection of a person and return the canonical record.

    The same valid ID number (or passport) is the same person, decided without scoring, and two
    different valid ID numbers are never merged. Serialises on the ID number (else the passport, else the
    pinyin name), so concurrent collections of one person create one record.
    """
    check_observation(collected_at=meta.collected_at, location=None, footprint=None)
    residence = data.get("residence")
    building = _resolve_building(residence["building_id"], meta.collector) if residence else None
    location = meta.location or (building.location if building else None)
    if location is None:
        raise ValidationError({"location": [_("Give where the person lives: a location or a residence.")]})
    grid = grid_at(location, collector=meta.collector)
    cell = cell_of(location.x, location.y)
    key = name_key(data["name"])
    id_number, phone, passport = (
        data.get("id_number") or "",
        data.get("phone") or "",
        data.get("passport_number") or "",
    )
    numbers = _numbers(data)
    if id_number:
        lock = ("person-id", numbers["id_number_index"])
    elif passport:
        lock = ("person-passport", numbers["passport_index"])
    else:
        lock = ("person-name", key)
    advisory_xact_lock([lock, *id_lock(meta.submitted_id)])
    check_new_id(record_type=RecordType.PERSON, record_id=meta.submitted_id)
    fields: dict[str, Any] = {
        "name": normalise_name(data["name"]),
        "name_key": key,
        "gender": data.get("gender") or "",
        "birth_date": data.get("birth_date"),
        "household_type": data.get("household_type") or "",
        "tags": sorted(set(data.get("tags") or [])),
        "location": location,
        "cell": cell,
        "grid_id": grid.pk,
        **numbers,
    }
    candidates = person_candidates(
        name_key=key,
        birth_date=fields["birth_date"],
        id_number=id_number,
        phone=phone,
        passport=passport,
        cell=cell,
    )
    homes = buildings_of_people([c.pk for c in candidates]) if building and candidates else {}
    evidence = PersonEvidence(
        name=fields["name"],
        name_key=key,
        gender=fields["gender"],
        birth_date=fields["birth_date"],
        id_number_index=fields["id_number_index"],
        phone_index=fields["phone_index"],
        passport_index=fields["passport_index"],
        building_id=building.pk if building else None,
    )
    match = best([score_person(evidence, c, homes.get(c.pk)) for c in candidates])
    if match and (match.deterministic or match.score >= settings.GRIDAPI_MATCH_PERSON_AUTO):
        outcome = absorb(
            record_type=RecordType.PERSON, survivor_id=match.record.pk, fields=fields, meta=meta, match=match,
            payload=payload, moving_in=building is not None,
        )  # fmt: skip
    else:
        person = Person.objects.create(id=meta.submitted_id or uuid7(), **fields)
        journal_record(
            record_type=RecordType.PERSON, record_id=person.pk, change=Change.CREATED, version=person.version,
            grid_id=grid.pk, actor=meta.collector,
        )  # fmt: skip
        meta = replace(meta, submitted_id=person.pk)
        alias_add(record_type=RecordType.PERSON, alias=person.pk, canonical_id=person.pk)
        observation = record_observation(
            record_type=RecordType.PERSON, record_id=person.pk, meta=meta, payload=payload, outcome=Outcome.CREATED,
            match=match,
        )  # fmt: skip
        review = None
        if match and match.score >= settings.GRIDAPI_MATCH_PERSON_REVIEW:
            review = queue_review(record_type=RecordType.PERSON, record=person, match=match)
        outcome = CollectOutcome(person, Outcome.CREATED, observation, match=match, review=review)
    ended: list[Residence] = []
    if residence and building is not None and outcome.moved_from is not None:
        # Moved here (人来) from a grid the collector does not serve: the old homes end (人走) today.
        for home in Residence.objects.filter(person=outcome.record, until__isnull=True).exclude(
            building=building
        ):
            ended.append(
                residence_end(
                    residence=home, until=max(timezone.localdate(), home.since or timezone.localdate())
                )
            )
    if residence and building is not None:
        home, created = residence_collect(
            person=outcome.record, building=building, room=residence.get("room") or "",
            relation=residence.get("relation") or "tenant", since=residence.get("since"),
        )  # fmt: skip
        if outcome.outcome == Outcome.MERGED and outcome.submitted_id:  # undoing the merge undoes these too
            merge_homes_note(merged_id=outcome.submitted_id, ended=ended, brought=home if created else None)
    return outcome


@transaction.atomic
def person_update(
    *, person: Person, changes: dict[str, Any], expected_version: int, meta: ObservationMeta,
    payload: dict[str, Any],
) -> Person:  # fmt: skip
    """Apply ``changes`` if the person is still at ``expected_version`` (else 412)."""
    if changes.get("id_number"):  # before the row, in the order collections of that number take them
        advisory_xact_lock([("person-id", blind_index(changes["id_number"]))])
    person = locked_for_update(
        record=person, expected_version=expected_version, changes=changes, editable=EDITABLE
    )
    previous_grid = person.grid_id
    fields_changed = list(changes)
    numbers = {
        name: changes.pop(name) for name in ("id_number", "phone", "passport_number") if name in changes
    }
    if numbers:
        sealed = _numbers(numbers)
        for source, target in (
            ("id_number", "id_number"),
            ("phone", "phone"),
            ("passport_number", "passport"),
        ):
            if source in numbers:
                setattr(person, f"{target}_sealed", sealed[f"{target}_sealed"])
                setattr(person, f"{target}_index", sealed[f"{target}_index"])
        person.pii_key_id = sealed["pii_key_id"]
        if (
            "id_number" in numbers
            and person.id_number_index
            and held_by_another(
                Person, column="id_number_index", value=person.id_number_index, record_id=person.pk
            )
        ):
            raise ValidationError(
                {"id_number": [_("Another record has this ID number; merge them instead.")]}
            )
    if "name" in changes:
        person.name, person.name_key = normalise_name(changes["name"]), name_key(changes.pop("name"))
    if "location" in changes:
        move_to(record=person, location=changes.pop("location"), collector=meta.collector)
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"]))
    for name, value in changes.items():
        setattr(person, name, value)
    save_update(
        record_type=RecordType.PERSON, record=person, meta=meta, payload=payload, fields=fields_changed,
        previous_grid=previous_grid,
    )  # fmt: skip
    return person
