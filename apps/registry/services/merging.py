"""Merges (automatic on collect, or decided by a dispatcher) and their exact undoing."""

import uuid
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.crypto import seal_json, unseal_json
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
    Person,
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
    fill_in,
    held_by_another,
    journal_update,
    record_observation,
    restore,
    snapshot,
)
from .moves import merge_homes_undo

MODELS: dict[str, Any] = {
    RecordType.BUILDING: Building, RecordType.PERSON: Person, RecordType.ORGANISATION: Organisation,
}  # fmt: skip
# Fields a merge may fill in on the survivor (never its identity: address, name, location).
FILLABLE: dict[str, list[str]] = {
    RecordType.BUILDING: ["address_code", "name", "use", "floors", "footprint", "landlord_id"],
    RecordType.PERSON: [
        "gender", "birth_date", "id_number_sealed", "id_number_index", "phone_sealed", "phone_index",
        "passport_sealed", "passport_index", "pii_key_id", "household_type", "tags",
    ],
    RecordType.ORGANISATION: [
        "credit_code", "code_unverified", "code_key", "kind", "industry", "building_id", "room", "floor",
        "legal_rep_name", "legal_rep_id_number_sealed", "legal_rep_id_number_index", "phone_sealed", "phone_index",
        "pii_key_id", "area_m2", "staff", "beds", "seats", "tags",
    ],
}  # fmt: skip
# Sealed personal numbers (``<name>_sealed`` + ``<name>_index``) of each record type, compared by blind index.
SEALED_NUMBERS: dict[str, tuple[str, ...]] = {
    RecordType.PERSON: ("id_number", "phone", "passport"),
    RecordType.ORGANISATION: ("legal_rep_id_number", "phone"),
}
SNAPSHOT_EXTRA = ["alternatives"]
# What a person's move (collected in another grid than theirs, by that grid's worker) changes; undone with it.
MOVED_FIELDS = ["location", "cell", "grid_id"]


_RESIDENCE_FIELD: dict[str, str] = {RecordType.BUILDING: "building_id", RecordType.PERSON: "person_id"}
_EMPLOYMENT_FIELD: dict[str, str] = {
    RecordType.PERSON: "person_id",
    RecordType.ORGANISATION: "organisation_id",
}


def _residence_field(record_type: str) -> str | None:
    return _RESIDENCE_FIELD.get(record_type)


def _employment_field(record_type: str) -> str | None:
    return _EMPLOYMENT_FIELD.get(record_type)


def _fill(record_type: str, survivor: Any, incoming: dict[str, Any], ref: str) -> list[str]:
    """Fill what the survivor lacks; returns the fields changed (for an exact undo).

    Personal numbers are compared by blind index, not by their sealed bytes (sealing is randomised);
    a differing number is kept, sealed, as an alternative. Tags are united.
    """
    values = {name: incoming.get(name) for name in FILLABLE[record_type]}
    changed: list[str] = []
    alternatives: dict[str, Any] = dict(survivor.alternatives or {})
    if record_type in SEALED_NUMBERS:
        values.pop("pii_key_id")
        for number in SEALED_NUMBERS[record_type]:
            index, sealed = values.pop(f"{number}_index"), values.pop(f"{number}_sealed")
            current = getattr(survivor, f"{number}_index")
            if index and not current:
                setattr(survivor, f"{number}_index", index)
                setattr(survivor, f"{number}_sealed", sealed)
                changed += [f"{number}_index", f"{number}_sealed"]
            elif index and index != current:
                entries = alternatives.setdefault(number, [])
                if all(entry.get("index") != index for entry in entries):
                    entries.append({"index": index, "sealed": sealed, "observation": ref})
        tags = sorted(set(survivor.tags or []) | set(values.pop("tags") or []))
        if tags != sorted(survivor.tags or []):
            survivor.tags = tags
            changed.append("tags")
    survivor.alternatives = alternatives
    filled, survivor.alternatives = fill_in(survivor, values, ref)
    return changed + filled


def automatic_merge_event(
    *, record_type: str, survivor_id: uuid.UUID, merged_id: uuid.UUID, match: Match, actor: Any,
    before: dict[str, Any], filled: list[str], observation_id: uuid.UUID,
) -> MergeEvent:  # fmt: skip
    """The (unsaved) record of a merge made on collection, with what undoing it needs."""
    return MergeEvent(
        record_type=record_type, survivor_id=survivor_id, merged_id=merged_id, automatic=True, score=match.score,
        reasons=match.reasons, actor=actor,
        snapshot_sealed=seal_json({
            "survivor": before, "filled": filled, "observations": [str(observation_id)], "residences": [],
            "aliases": [str(merged_id)], "landlord_of": [],
        }),
    )  # fmt: skip


# Fields never filled in on a record from outside its scope: they become a review item for its dispatchers.
HELD_OUTSIDE_SCOPE: dict[str, list[str]] = {
    RecordType.BUILDING: [],
    RecordType.PERSON: ["tags", "id_number_index", "id_number_sealed", "passport_index", "passport_sealed"],
    RecordType.ORGANISATION: ["legal_rep_id_number_index", "legal_rep_id_number_sealed"],
}
# The identity numbers among them: (column prefix, the name a review item gives).
HELD_NUMBERS: dict[str, tuple[tuple[str, str], ...]] = {
    RecordType.PERSON: (("id_number", "id_number"), ("passport", "passport_number")),
    RecordType.ORGANISATION: (("legal_rep_id_number", "legal_rep_id_number"),),
}
HELD_REASON = "held back: brought from outside the record's grids"


def _held_back(record_type: str, survivor: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``fields`` without what a collector outside ``survivor``'s scope may not fill in, and the names of the
    fields held back that would have added something (a new tag, an ID or passport number it lacks)."""
    held = HELD_OUTSIDE_SCOPE[record_type]
    if not held:
        return fields, []
    kept = {name: value for name, value in fields.items() if name not in held}
    new: list[str] = []
    if "tags" in held and set(fields.get("tags") or []) - set(survivor.tags or []):
        new.append("tags")
    for number, label in HELD_NUMBERS.get(record_type, ()):
        index = fields.get(f"{number}_index")
        if index and index != getattr(survivor, f"{number}_index"):
            new.append(label)
    return kept, new


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
        fields, held = _held_back(record_type, survivor, fields)
    filled = _fill(record_type, survivor, fields, str(observation_id))
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


def _move_employments(
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


def _journal_residences(residence_ids: list[str], actor: Any) -> None:
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
    _journal_residences(residences, actor)


def _lock_pair(record_type: str, first: uuid.UUID, second: uuid.UUID) -> tuple[Any, Any]:
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
    survivor, merged = _lock_pair(record_type, survivor_id, merged_id)
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
    filled = _fill(record_type, survivor, incoming, f"record:{merged.pk}")

    observations = [
        str(pk)
        for pk in Observation.objects.filter(record_type=record_type, record_id=merged.pk).values_list(
            "pk", flat=True
        )
    ]
    Observation.objects.filter(pk__in=observations).update(record_id=survivor.pk)
    residence_field = _residence_field(record_type)
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
    employments = _move_employments(record_type, merged.pk, survivor.pk)
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


@transaction.atomic
def record_unmerge(*, event: MergeEvent, actor: Any) -> tuple[Any, Any]:
    """Undo a merge: both records, their observations, residences and aliases are as they were before it.

    Fields the merge filled in on the survivor are restored; fields edited since are kept. Refused when the
    survivor has itself been merged since (undo that merge first).
    """
    event = MergeEvent.objects.select_for_update().get(pk=event.pk)
    if event.undone_at is not None:
        raise Conflict(_("This merge has already been undone."))
    survivor, merged = _lock_pair(event.record_type, event.survivor_id, event.merged_id)
    if survivor.merged_into_id is not None:
        raise Conflict(_("The surviving record has been merged since; undo that merge first."))
    state = unseal_json(event.snapshot_sealed)
    before = state["survivor"]
    grid_then = survivor.grid_id
    restore(survivor, {name: before[name] for name in [*state["filled"], *SNAPSHOT_EXTRA] if name in before})
    if _key_held(event.record_type, merged, survivor):
        raise Conflict(
            _(
                "Apart, the two records would share a key that decides alone (ID number or standard address code)."
            )
        )
    survivor.version += 1
    survivor.save()
    merged.merged_into = None
    merged.version += 1
    merged.save(update_fields=["merged_into", "version", "updated_at"])
    journal_update(
        record_type=event.record_type, record=survivor, fields=state["filled"], actor=actor,
        previous_grid=grid_then if grid_then != survivor.grid_id else None,
    )  # fmt: skip
    journal_record(
        record_type=event.record_type, record_id=merged.pk, change=Change.UNMERGED, version=merged.version,
        grid_id=merged.grid_id, actor=actor,
    )  # fmt: skip

    Observation.objects.filter(pk__in=state["observations"]).update(record_id=merged.pk)
    if residence_field := _residence_field(event.record_type):
        Residence.objects.filter(pk__in=state["residences"]).update(**{residence_field: merged.pk})
    if state.get("employments"):
        _move_employments(event.record_type, None, merged.pk, only=state["employments"])
    RecordAlias.objects.filter(alias__in=state["aliases"]).update(canonical_id=merged.pk)
    if state["landlord_of"]:
        Building.objects.filter(pk__in=state["landlord_of"]).update(landlord_id=merged.pk)
    _journal_residences(state["residences"], actor)
    merge_homes_undo(state=state, actor=actor)  # homes a move ended reopen (see moves)
    event.undone_at, event.undone_by = timezone.now(), actor
    event.save(update_fields=["undone_at", "undone_by", "updated_at"])
    return survivor, merged


# The keys that decide alone, one canonical record each (unique constraints of the models).
_DECIDING_KEY: dict[str, str] = {
    RecordType.PERSON: "id_number_index", RecordType.BUILDING: "address_code", RecordType.ORGANISATION: "code_key",
}  # fmt: skip


def _key_held(record_type: str, merged: Any, survivor: Any) -> bool:
    """Whether another canonical record — the survivor as restored, or any other — holds ``merged``'s deciding
    key, so that undoing the merge would make two canonical records of one key."""
    column = _DECIDING_KEY[record_type]
    key = getattr(merged, column)
    if not key:
        return False
    return getattr(survivor, column) == key or held_by_another(
        MODELS[record_type], column=column, value=key, record_id=survivor.pk
    )


@transaction.atomic
def review_decide(*, item: ReviewItem, decision: str, actor: Any, note: str = "") -> ReviewItem:
    """Decide a possible duplicate: ``merge`` (the newer record joins the older) or ``keep_apart``."""
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(_("This review item has already been decided."))
    if decision == "merge" and item.reasons[:1] == [HELD_REASON]:
        _apply_held(item, actor)
        item.status = ReviewStatus.MERGED
    elif decision == "merge":
        record_merge(
            record_type=item.record_type, survivor_id=item.candidate_id, merged_id=item.record_id, actor=actor,
            note=note,
        )  # fmt: skip
        item.refresh_from_db()
        item.status = ReviewStatus.MERGED
    elif decision == "keep_apart":
        item.status = ReviewStatus.KEPT_APART
    else:
        raise ValidationError({"decision": [_("Must be merge or keep_apart.")]})
    item.decided_by, item.decided_at, item.note = actor, timezone.now(), note
    item.save()
    return item


def _apply_held(item: ReviewItem, actor: Any) -> None:
    """A dispatcher accepts what a collector outside the record's scope brought (tags, ID or passport number):
    filled in from the tombstone that kept it, as a merge would have (a differing number as an alternative)."""
    model = MODELS[item.record_type]
    survivor = model.objects.select_for_update().get(pk=item.record_id)
    tombstone = model.objects.get(pk=item.candidate_id)
    held = HELD_OUTSIDE_SCOPE[item.record_type]
    values = {name: getattr(tombstone, name) if name in held else None for name in FILLABLE[item.record_type]}
    filled = _fill(item.record_type, survivor, values, str(item.pk))
    if "id_number_index" in filled and held_by_another(
        model, column="id_number_index", value=survivor.id_number_index, record_id=survivor.pk
    ):
        raise Conflict(_("Another record has this ID number; merge them instead."))
    survivor.version += 1
    survivor.save()
    journal_update(record_type=item.record_type, record=survivor, fields=filled, actor=actor)


def merge_settings_threshold(record_type: str) -> tuple[float, float]:
    """(auto-merge, review) thresholds for ``record_type``."""
    if record_type == RecordType.BUILDING:
        return settings.GRIDAPI_MATCH_BUILDING_AUTO, settings.GRIDAPI_MATCH_BUILDING_REVIEW
    return settings.GRIDAPI_MATCH_PERSON_AUTO, settings.GRIDAPI_MATCH_PERSON_REVIEW
