"""Collecting and editing buildings."""

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import check_referable
from apps.attachments.services import attachments_link
from apps.core.bulk import bulk_insert
from apps.core.geo.cells import cell_of, neighbourhood
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.principals import Principal
from apps.core.text import house_key, normalise_address
from apps.core.visibility import visible_get
from apps.journal.models import Change
from apps.journal.services import journal_entry, journal_record

from ..inputs import check_observation
from ..matching import BuildingEvidence, best, score_building
from ..models import Building, Outcome, Person, RecordType, Residence
from ..selectors import building_candidates
from .common import (
    CollectOutcome,
    ObservationMeta,
    alias_add,
    check_new_id,
    far_same_code,
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

EDITABLE = ["address", "address_code", "name", "use", "floors", "footprint", "landlord_id", "location"]


def _address_fields(address: str) -> dict[str, str]:
    norm = normalise_address(address)
    house, block = house_key(norm)
    return {
        "address": address,
        "address_norm": norm,
        "house_number": house or "",
        "block_number": block or "",
    }


def _link_photos(data: dict[str, Any], record_id: Any, grid_id: Any) -> None:
    if data.get("photos"):
        attachments_link(
            hashes=data["photos"], record_type=RecordType.BUILDING, record_id=record_id, grid_id=grid_id
        )


def _checked_references(data: dict[str, Any], collector: Principal | None) -> None:
    """The references a building's data makes, through the visibility gate: the landlord must be a person the
    collector may see (named by any of their ids; kept as the canonical id) — the same error for a person
    who does not exist and one out of sight, so that it tells nothing of which ids exist — and its photos
    ones the collector uploaded or may read."""
    landlord_id = data.get("landlord_id")
    if landlord_id:
        landlord = (
            visible_get(Person, collector, landlord_id)
            if collector is not None
            else Person.objects.filter(pk=landlord_id, merged_into__isnull=True).first()
        )
        if landlord is None:
            raise ValidationError({"landlord_id": [_("No such person among those you may see.")]})
        data["landlord_id"] = landlord.pk
    if data.get("photos") and collector is not None:
        check_referable(user=collector, hashes=data["photos"])


@transaction.atomic
def building_collect(
    *, data: dict[str, Any], meta: ObservationMeta, payload: dict[str, Any]
) -> CollectOutcome:
    """Record one collection of a building and return the canonical record.

    Serialises on the location's cell neighbourhood (and the standard address code), so two devices
    collecting the same new building at once cannot both create it. Then: candidates from the
    neighbourhood → scores → merge into the best (at or above the auto threshold, or a deterministic
    key), or create (queueing a review item when the best lies between the thresholds).
    """
    if meta.location is None:
        raise ValidationError({"location": [_("A building needs a location.")]})
    check_observation(collected_at=meta.collected_at, location=meta.location, footprint=data.get("footprint"))
    grid = grid_at(meta.location, collector=meta.collector)
    cell = cell_of(meta.location.x, meta.location.y)
    code = data.get("address_code") or ""
    advisory_xact_lock(
        [("building-cell", c) for c in neighbourhood(cell)]
        + ([("building-code", code)] if code else [])
        + id_lock(meta.submitted_id)
    )
    check_new_id(record_type=RecordType.BUILDING, record_id=meta.submitted_id)
    data = dict(data)
    _checked_references(data, meta.collector)
    fields: dict[str, Any] = {
        **_address_fields(data["address"]),
        "address_code": code,
        "name": data.get("name") or "",
        "use": data.get("use") or "",
        "floors": data.get("floors"),
        "footprint": data.get("footprint"),
        "landlord_id": data.get("landlord_id"),
        "location": meta.location,
        "cell": cell,
        "grid_id": grid.pk,
    }
    evidence = BuildingEvidence(
        lon=meta.location.x,
        lat=meta.location.y,
        address_norm=fields["address_norm"],
        house_number=fields["house_number"] or None,
        block_number=fields["block_number"] or None,
        address_code=code,
        name=fields["name"],
        use=fields["use"],
    )
    candidates = building_candidates(
        cell=cell, address_code=code, house_number=fields["house_number"], block_number=fields["block_number"]
    )
    far = far_same_code(code, candidates, meta.location.x, meta.location.y)
    if far is not None:  # scored and kept as if no code had been given; the code goes to review
        fields["address_code"] = ""
        evidence = replace(evidence, address_code="")
        candidates = [c for c in candidates if c.pk != far.record.pk]
    match = best([score_building(evidence, candidate) for candidate in candidates])
    if match and (match.deterministic or match.score >= settings.GRIDAPI_MATCH_BUILDING_AUTO):
        _link_photos(data, match.record.pk, grid.pk)
        outcome = absorb(
            record_type=RecordType.BUILDING, survivor_id=match.record.pk, fields=fields, meta=meta, match=match,
            payload=payload,
        )  # fmt: skip
        if far is not None:
            queue_review(record_type=RecordType.BUILDING, record=outcome.record, match=far)
        return outcome
    building = Building.objects.create(id=meta.submitted_id or uuid7(), **fields)
    journal_record(
        record_type=RecordType.BUILDING, record_id=building.pk, change=Change.CREATED, version=building.version,
        grid_id=grid.pk, actor=meta.collector,
    )  # fmt: skip
    meta = replace(meta, submitted_id=building.pk)
    alias_add(record_type=RecordType.BUILDING, alias=building.pk, canonical_id=building.pk)
    _link_photos(data, building.pk, grid.pk)
    observation = record_observation(
        record_type=RecordType.BUILDING, record_id=building.pk, meta=meta, payload=payload, outcome=Outcome.CREATED,
        match=match,
    )  # fmt: skip
    review = None
    if far is not None:
        review = queue_review(record_type=RecordType.BUILDING, record=building, match=far)
    elif match and match.score >= settings.GRIDAPI_MATCH_BUILDING_REVIEW:
        review = queue_review(record_type=RecordType.BUILDING, record=building, match=match)
    return CollectOutcome(building, Outcome.CREATED, observation, match=match, review=review)


@transaction.atomic
def building_update(
    *, building: Building, changes: dict[str, Any], expected_version: int, meta: ObservationMeta,
    payload: dict[str, Any],
) -> Building:  # fmt: skip
    """Apply ``changes`` if the building is still at ``expected_version`` (else 412)."""
    code = changes.get("address_code") or ""
    if code:  # before the row, in the order collections take them
        advisory_xact_lock([("building-code", code)])
    building = locked_for_update(
        record=building, expected_version=expected_version, changes=changes, editable=EDITABLE
    )
    previous_grid = building.grid_id
    _checked_references(changes, meta.collector)
    if "footprint" in changes or "location" in changes:
        check_observation(
            collected_at=meta.collected_at, location=changes.get("location", building.location),
            footprint=changes.get("footprint", building.footprint),
        )  # fmt: skip
    if code and held_by_another(Building, column="address_code", value=code, record_id=building.pk):
        raise ValidationError(
            {"address_code": [_("Another building has this standard address code; merge them instead.")]}
        )
    fields_changed = list(changes)
    if "address" in changes:
        for name, value in _address_fields(changes.pop("address")).items():
            setattr(building, name, value)
    if "location" in changes:
        move_to(record=building, location=changes.pop("location"), collector=meta.collector)
    for name, value in changes.items():
        setattr(building, name, value)
    save_update(
        record_type=RecordType.BUILDING, record=building, meta=meta, payload=payload, fields=fields_changed,
        previous_grid=previous_grid,
    )  # fmt: skip
    if building.grid_id != previous_grid:
        _residences_follow(building, previous_grid, meta.collector)
    return building


def _residences_follow(building: Building, previous_grid: Any, actor: Any) -> None:
    """The building moved to another grid: its residences, which lie in the building's grid, move with it
    (a journal entry each, so that pulls and feeds of either grid hear of it)."""
    bulk_insert([
        journal_entry(
            record_type=RecordType.RESIDENCE, record_id=pk, change=Change.MOVED, version=version,
            grid_id=building.grid_id, previous_grid_id=previous_grid, actor=actor,
        )
        for pk, version in Residence.objects.filter(building=building).values_list("pk", "version")
    ])  # fmt: skip
