"""Merges: a collected record absorbed into its match (automatic), or two records merged by a dispatcher, with
what both move (observations, residences, employments, aliases, landlords). Undone in ``unmerging``."""

import uuid
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.crypto import seal_json
from apps.core.errors import Conflict
from apps.core.ids import uuid7
from apps.journal.models import Change
from apps.journal.services import journal_record
from apps.territory.selectors import grids_visible_to

from ..matching import Match
from ..models import (
    Building,
    Employment,
    MergeEvent,
    Observation,
    Organisation,
    Outcome,
    RecordAlias,
    RecordType,
    Residence,
    ReviewItem,
    ReviewStatus,
)
from .common import (
    CollectOutcome,
    ObservationMeta,
    alias_add,
    journal_update,
    record_observation,
    snapshot,
)
from .merge_rules import (
    FILLABLE,
    HELD_REASON,
    MODELS,
    MOVED_FIELDS,
    SEALED_NUMBERS,
    SNAPSHOT_EXTRA,
    automatic_merge_event,
    fill_survivor,
    held_back,
)

_RESIDENCE_FIELD: dict[str, str] = {RecordType.BUILDING: "building_id", RecordType.PERSON: "person_id"}
_EMPLOYMENT_FIELD: dict[str, str] = {
    RecordType.PERSON: "person_id",
    RecordType.ORGANISATION: "organisation_id",
}


def residence_field_of(record_type: str) -> str | None:
    return _RESIDENCE_FIELD.get(record_type)


def _employment_field(record_type: str) -> str | None:
    return _EMPLOYMENT_FIELD.get(record_type)


def absorb(
    *, record_type: str, survivor_id: uuid.UUID, fields: dict[str, Any], meta: ObservationMeta, match: Match,
    payload: dict[str, Any], moving_in: bool = False,
) -> CollectOutcome:  # fmt: skip
    """A collected record that matched ``survivor``: keep it as a tombstone and merge it in, undoably.

    A collector outside the survivor's scope (another grid's worker) still merges — identity is global — but
    what it brings fills in nothing special: tags and ID/passport numbers are held back as a review item for
    the survivor's dispatchers (the tombstone keeps them), a person collected with a home in its own grid
    (``moving_in``) has moved there (人走/人来: the survivor moves, so its old grid's devices see it leave and
    the new grid's see it arrive), and the answer names the canonical id only (no reasons quoting the record).
    """
    model = MODELS[record_type]
    locking = model.objects.select_for_update(of=("self",))
    if meta.collector is not None:  # read with the row: whether the collector may see it
        locking = locking.annotate(
            seen=Exists(grids_visible_to(meta.collector).filter(pk=OuterRef("grid_id")))
        )
    survivor = locking.get(pk=survivor_id)
    tombstone = model.objects.create(id=meta.submitted_id or uuid7(), merged_into=survivor, **fields)
    meta = replace(meta, submitted_id=tombstone.pk)
    in_scope = getattr(survivor, "seen", True)
    moves = not in_scope and moving_in and fields["grid_id"] != survivor.grid_id
    before = snapshot(survivor, FILLABLE[record_type] + SNAPSHOT_EXTRA + (MOVED_FIELDS if moves else []))
    observation_id = uuid7()
    held: list[str] = []
    if not in_scope:
        fields, held = held_back(record_type, survivor, fields)
    filled = fill_survivor(record_type, survivor, fields, str(observation_id))
    previous_grid = survivor.grid_id
    if moves:
        survivor.location, survivor.cell, survivor.grid_id = (
            fields["location"],
            fields["cell"],
            fields["grid_id"],
        )
        filled += MOVED_FIELDS
    survivor.version += 1
    survivor.save()
    observation = record_observation(
        record_type=record_type, record_id=survivor.pk, meta=meta, payload=payload, outcome=Outcome.MERGED,
        match=match, observation_id=observation_id,
    )  # fmt: skip
    alias_add(record_type=record_type, alias=tombstone.pk, canonical_id=survivor.pk)
    journal_update(
        record_type=record_type, record=survivor, fields=filled, actor=meta.collector,
        previous_grid=previous_grid if moves else None,
    )  # fmt: skip
    automatic_merge_event(
        record_type=record_type, survivor_id=survivor.pk, merged_id=tombstone.pk, match=match, actor=meta.collector,
        before=before, filled=filled, observation_id=observation.pk,
    ).save()  # fmt: skip
    if held:
        ReviewItem.objects.create(
            record_type=record_type, record_id=survivor.pk, candidate_id=tombstone.pk, grid_id=survivor.grid_id,
            score=match.score, reasons=[HELD_REASON, *held],
        )  # fmt: skip
    return CollectOutcome(
        survivor, Outcome.MERGED, observation, match=match, submitted_id=tombstone.pk, in_scope=in_scope,
        moved_from=previous_grid if moves else None,
    )  # fmt: skip


def move_employments(
    record_type: str, merged_id: Any, target_id: Any, only: list[str] | None = None
) -> list[str]:
    """Employments of ``merged_id`` (or exactly ``only``) moved to ``target_id``, journalled; their ids."""
    field = _employment_field(record_type)
    if field is None:
        return []
    rows = (
        Employment.objects.filter(pk__in=only)
        if only is not None
        else Employment.objects.filter(**{field: merged_id})
    )
    moved = []
    for employment in rows.select_related("organisation"):
        setattr(employment, field, target_id)
        employment.version += 1
        employment.save(update_fields=[field, "version", "updated_at"])
        grid_id = (
            Organisation.objects.filter(pk=employment.organisation_id)
            .values_list("grid_id", flat=True)
            .first()
        )
        journal_record(
            record_type=RecordType.EMPLOYMENT, record_id=employment.pk, change=Change.UPDATED,
            version=employment.version, grid_id=grid_id, fields=[field],
        )  # fmt: skip
        moved.append(str(employment.pk))
    return moved


def journal_residences(residence_ids: list[str], actor: Any) -> None:
    """Moved residences changed hands: one entry each (their number is bounded by one person's or building's)."""
    for residence in Residence.objects.filter(pk__in=residence_ids).select_related("building"):
        residence.version += 1
        residence.save(update_fields=["version", "updated_at"])
        journal_record(
            record_type=RecordType.RESIDENCE, record_id=residence.pk, change=Change.UPDATED,
            version=residence.version, grid_id=residence.building.grid_id, fields=["person_id", "building_id"],
            actor=actor,
        )  # fmt: skip


def _journal_merge(
    record_type: str, survivor: Any, merged: Any, filled: list[str], residences: list[str], actor: Any
) -> None:
    journal_record(
        record_type=record_type, record_id=merged.pk, change=Change.MERGED, version=merged.version,
        grid_id=merged.grid_id, merged_into=survivor.pk, actor=actor,
    )  # fmt: skip
    journal_update(record_type=record_type, record=survivor, fields=filled, actor=actor)
    journal_residences(residences, actor)


def lock_pair(record_type: str, first: uuid.UUID, second: uuid.UUID) -> tuple[Any, Any]:
    model = MODELS[record_type]
    rows = {
        row.pk: row for row in model.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
    }
    if len(rows) != 2:
        raise ValidationError({"id": [_("Both records must exist and differ.")]})
    return rows[first], rows[second]


@transaction.atomic
def record_merge(
    *, record_type: str, survivor_id: uuid.UUID, merged_id: uuid.UUID, actor: Any, note: str = ""
) -> MergeEvent:
    """Merge record ``merged_id`` into ``survivor_id`` (decided by a person): everything moves, undoably."""
    if record_type not in MODELS:
        raise ValidationError({"record_type": [_("Only buildings and people are merged.")]})
    survivor, merged = lock_pair(record_type, survivor_id, merged_id)
    if survivor.merged_into_id or merged.merged_into_id:
        raise Conflict(_("One of the records has already been merged into another."))
    if (
        record_type == RecordType.PERSON
        and survivor.id_number_index
        and merged.id_number_index
        and survivor.id_number_index != merged.id_number_index
    ):
        raise ValidationError(
            {"merged_id": [_("Two people with different valid ID numbers are never merged.")]}
        )
    if (
        record_type == RecordType.ORGANISATION
        and survivor.code_key
        and merged.code_key not in ("", survivor.code_key)
    ):
        raise ValidationError(
            {"merged_id": [_("Two organisations with different credit codes are never merged.")]}
        )
    before_survivor = snapshot(survivor, FILLABLE[record_type] + SNAPSHOT_EXTRA)
    incoming = {name: getattr(merged, name) for name in FILLABLE[record_type]}
    if record_type in SEALED_NUMBERS:
        incoming["tags"] = list(merged.tags or [])
    filled = fill_survivor(record_type, survivor, incoming, f"record:{merged.pk}")

    observations = [
        str(pk)
        for pk in Observation.objects.filter(record_type=record_type, record_id=merged.pk).values_list(
            "pk", flat=True
        )
    ]
    Observation.objects.filter(pk__in=observations).update(record_id=survivor.pk)
    residence_field = residence_field_of(record_type)
    residences = (
        [
            str(pk)
            for pk in Residence.objects.filter(**{residence_field: merged.pk}).values_list("pk", flat=True)
        ]
        if residence_field
        else []
    )
    if residence_field:
        Residence.objects.filter(pk__in=residences).update(**{residence_field: survivor.pk})
    employments = move_employments(record_type, merged.pk, survivor.pk)
    aliases = [
        str(pk) for pk in RecordAlias.objects.filter(canonical_id=merged.pk).values_list("alias", flat=True)
    ]
    RecordAlias.objects.filter(alias__in=aliases).update(canonical_id=survivor.pk)
    landlord_of: list[str] = []
    if record_type == RecordType.PERSON:
        landlord_of = [
            str(pk) for pk in Building.objects.filter(landlord_id=merged.pk).values_list("pk", flat=True)
        ]
        Building.objects.filter(pk__in=landlord_of).update(landlord_id=survivor.pk)

    merged.merged_into = survivor
    merged.version += 1
    merged.save(update_fields=["merged_into", "version", "updated_at"])
    survivor.version += 1
    survivor.save()
    _journal_merge(record_type, survivor, merged, filled, residences, actor)
    ReviewItem.objects.filter(
        Q(record_id__in=[survivor.pk, merged.pk]) | Q(candidate_id__in=[survivor.pk, merged.pk]),
        record_type=record_type,
        status=ReviewStatus.OPEN,
    ).update(status=ReviewStatus.OBSOLETE, decided_at=timezone.now())
    return MergeEvent.objects.create(
        record_type=record_type,
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        automatic=False,
        actor=actor,
        reasons=[note] if note else [],
        snapshot_sealed=seal_json(
            {
                "survivor": before_survivor,
                "filled": filled,
                "observations": observations,
                "residences": residences,
                "aliases": aliases,
                "landlord_of": landlord_of,
                "employments": employments,
            }
        ),
    )
