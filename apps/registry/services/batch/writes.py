"""The batch's rows: what a one-by-one collection would write for each building (record or tombstone, alias,
observation, journal entry, merge record, review item), kept in memory and written with one statement per
table."""

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from apps.core.bulk import bulk_insert, bulk_update_fields
from apps.core.ids import uuid7
from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry

from ...matching import Match
from ...models import Building, MergeEvent, Observation, Outcome, RecordAlias, RecordType, ReviewItem
from ..common import CollectOutcome, new_alias, new_observation, new_review, snapshot
from ..merge_rules import FILLABLE, SNAPSHOT_EXTRA, automatic_merge_event, fill_survivor

if TYPE_CHECKING:
    from .collect import BuildingSubmission


@dataclass
class Writes:
    """Rows to insert or update, in the order a one-by-one collection would have written them."""

    buildings: list[Building] = field(default_factory=list)
    survivors: dict[uuid.UUID, Building] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    aliases: list[RecordAlias] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    merges: list[MergeEvent] = field(default_factory=list)
    reviews: list[ReviewItem] = field(default_factory=list)


def _observation(
    submission: "BuildingSubmission", record_id: uuid.UUID, submitted_id: uuid.UUID, outcome: str,
    match: Match | None, observation_id: uuid.UUID | None = None,
) -> Observation:  # fmt: skip
    return new_observation(
        record_type=RecordType.BUILDING, record_id=record_id, meta=replace(submission.meta, submitted_id=submitted_id),
        payload=submission.payload, outcome=outcome, match=match, observation_id=observation_id,
    )  # fmt: skip


def _journal(record: Building, change: str, actor: Any, fields: list[str] | None = None) -> JournalEntry:
    return journal_entry(
        record_type=RecordType.BUILDING, record_id=record.pk, change=change, version=record.version,
        grid_id=record.grid_id, fields=fields or [], actor=actor,
    )  # fmt: skip


def add_created(
    writes: Writes, building: Building, submission: "BuildingSubmission", match: Match | None,
    far: Match | None = None,
) -> CollectOutcome:  # fmt: skip
    """A new building's rows (journal entry, alias, observation, a review item when a match came close)."""
    writes.journal.append(_journal(building, Change.CREATED, submission.meta.collector))
    writes.aliases.append(
        new_alias(record_type=RecordType.BUILDING, alias=building.pk, canonical_id=building.pk)
    )
    observation = _observation(submission, building.pk, building.pk, Outcome.CREATED, match)
    writes.observations.append(observation)
    review = None
    queued = (
        far
        if far is not None
        else match
        if match and match.score >= settings.GRIDAPI_MATCH_BUILDING_REVIEW
        else None
    )
    if queued is not None:
        review = new_review(record_type=RecordType.BUILDING, record=building, match=queued)
        writes.reviews.append(review)
    return CollectOutcome(
        building, Outcome.CREATED, observation, match=match, review=review, version=building.version
    )


def add_absorbed(
    writes: Writes, survivor: Building, fields: dict[str, Any], submission: "BuildingSubmission", match: Match,
    *, in_scope: bool = True,
) -> CollectOutcome:  # fmt: skip
    """What ``absorb`` does for one collection, on the in-memory survivor (see ``merging.absorb``)."""
    meta = submission.meta
    tombstone = Building(id=meta.submitted_id or uuid7(), merged_into_id=survivor.pk, **fields)
    writes.buildings.append(tombstone)
    before = snapshot(survivor, FILLABLE[RecordType.BUILDING] + SNAPSHOT_EXTRA)
    observation_id = uuid7()
    filled = fill_survivor(RecordType.BUILDING, survivor, fields, str(observation_id))
    survivor.version += 1
    if survivor._state.adding is False:
        writes.survivors[survivor.pk] = survivor
    observation = _observation(submission, survivor.pk, tombstone.pk, Outcome.MERGED, match, observation_id)
    writes.observations.append(observation)
    writes.aliases.append(
        new_alias(record_type=RecordType.BUILDING, alias=tombstone.pk, canonical_id=survivor.pk)
    )
    writes.journal.append(_journal(survivor, Change.UPDATED, meta.collector, filled))
    event = automatic_merge_event(
        record_type=RecordType.BUILDING, survivor_id=survivor.pk, merged_id=tombstone.pk, match=match,
        actor=meta.collector, before=before, filled=filled, observation_id=observation_id,
    )  # fmt: skip
    writes.merges.append(event)
    return CollectOutcome(
        survivor,
        Outcome.MERGED,
        observation,
        match=match,
        submitted_id=tombstone.pk,
        version=survivor.version,
        in_scope=in_scope,
    )


def write(writes: Writes) -> None:
    """One statement per table (the journal last, as one-by-one collection writes it with each change)."""
    bulk_insert(writes.buildings)
    if writes.survivors:
        now = timezone.now()
        for survivor in writes.survivors.values():
            survivor.updated_at = now
        bulk_update_fields(
            list(writes.survivors.values()),
            [*FILLABLE[RecordType.BUILDING], *SNAPSHOT_EXTRA, "version", "updated_at"],
        )
    for rows in (writes.aliases, writes.observations, writes.merges, writes.reviews, writes.journal):
        bulk_insert(rows)
