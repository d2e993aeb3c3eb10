"""The batch's rows: what a one-by-one collection would write for each record (record or tombstone, alias,
observation, journal entry, merge record, review item), kept in memory and written with one statement per
table. Shared by the batches of buildings and of organisations."""

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from apps.core.bulk import bulk_insert, bulk_update_fields
from apps.core.ids import uuid7
from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry

from ...matching import Match
from ...models import MergeEvent, Observation, Outcome, RecordAlias, ReviewItem
from ..common import CollectOutcome, new_alias, new_observation, new_review, snapshot
from ..merge_rules import (
    FILLABLE,
    HELD_REASON,
    MODELS,
    SNAPSHOT_EXTRA,
    automatic_merge_event,
    fill_survivor,
    held_back,
    merge_settings_threshold,
)

if TYPE_CHECKING:
    from .collect import Submission


@dataclass
class Writes:
    """Rows of one record type to insert or update, in the order a one-by-one collection would have written them."""

    record_type: str
    records: list[Any] = field(default_factory=list)  # new records and tombstones
    survivors: dict[uuid.UUID, Any] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    aliases: list[RecordAlias] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    merges: list[MergeEvent] = field(default_factory=list)
    reviews: list[ReviewItem] = field(default_factory=list)


def _observation(
    writes: Writes, submission: "Submission", record_id: uuid.UUID, submitted_id: uuid.UUID, outcome: str,
    match: Match | None, observation_id: uuid.UUID | None = None,
) -> Observation:  # fmt: skip
    return new_observation(
        record_type=writes.record_type, record_id=record_id, meta=replace(submission.meta, submitted_id=submitted_id),
        payload=submission.payload, outcome=outcome, match=match, observation_id=observation_id,
    )  # fmt: skip


def _journal(
    writes: Writes, record: Any, change: str, actor: Any, fields: list[str] | None = None
) -> JournalEntry:
    return journal_entry(
        record_type=writes.record_type, record_id=record.pk, change=change, version=record.version,
        grid_id=record.grid_id, fields=fields or [], actor=actor,
    )  # fmt: skip


def add_created(
    writes: Writes, record: Any, submission: "Submission", match: Match | None, far: Match | None = None
) -> CollectOutcome:
    """A new record's rows (journal entry, alias, observation, a review item when a match came close)."""
    writes.journal.append(_journal(writes, record, Change.CREATED, submission.meta.collector))
    writes.aliases.append(new_alias(record_type=writes.record_type, alias=record.pk, canonical_id=record.pk))
    observation = _observation(writes, submission, record.pk, record.pk, Outcome.CREATED, match)
    writes.observations.append(observation)
    review = None
    _auto, review_threshold = merge_settings_threshold(writes.record_type)
    queued = far if far is not None else match if match and match.score >= review_threshold else None
    if queued is not None:
        review = new_review(record_type=writes.record_type, record=record, match=queued)
        writes.reviews.append(review)
    return CollectOutcome(
        record, Outcome.CREATED, observation, match=match, review=review, version=record.version
    )


def add_absorbed(
    writes: Writes, survivor: Any, fields: dict[str, Any], submission: "Submission", match: Match,
    *, in_scope: bool = True,
) -> CollectOutcome:  # fmt: skip
    """What ``absorb`` does for one collection, on the in-memory survivor (see ``merging.absorb``): from outside
    the survivor's scope, what ``held_back`` names fills in nothing and becomes a review item."""
    meta, record_type = submission.meta, writes.record_type
    tombstone = MODELS[record_type](id=meta.submitted_id or uuid7(), merged_into_id=survivor.pk, **fields)
    writes.records.append(tombstone)
    before = snapshot(survivor, FILLABLE[record_type] + SNAPSHOT_EXTRA)
    observation_id = uuid7()
    held: list[str] = []
    if not in_scope:
        fields, held = held_back(record_type, survivor, fields)
    filled = fill_survivor(record_type, survivor, fields, str(observation_id))
    survivor.version += 1
    if survivor._state.adding is False:
        writes.survivors[survivor.pk] = survivor
    observation = _observation(
        writes, submission, survivor.pk, tombstone.pk, Outcome.MERGED, match, observation_id
    )
    writes.observations.append(observation)
    writes.aliases.append(new_alias(record_type=record_type, alias=tombstone.pk, canonical_id=survivor.pk))
    writes.journal.append(_journal(writes, survivor, Change.UPDATED, meta.collector, filled))
    event = automatic_merge_event(
        record_type=record_type, survivor_id=survivor.pk, merged_id=tombstone.pk, match=match,
        actor=meta.collector, before=before, filled=filled, observation_id=observation_id,
    )  # fmt: skip
    writes.merges.append(event)
    if held:
        writes.reviews.append(ReviewItem(
            record_type=record_type, record_id=survivor.pk, candidate_id=tombstone.pk, grid_id=survivor.grid_id,
            score=match.score, reasons=[HELD_REASON, *held],
        ))  # fmt: skip
    return CollectOutcome(
        survivor, Outcome.MERGED, observation, match=match, submitted_id=tombstone.pk, version=survivor.version,
        in_scope=in_scope,
    )  # fmt: skip


def write(writes: Writes) -> None:
    """One statement per table (the journal last, as one-by-one collection writes it with each change)."""
    bulk_insert(writes.records)
    if writes.survivors:
        now = timezone.now()
        for survivor in writes.survivors.values():
            survivor.updated_at = now
        bulk_update_fields(
            list(writes.survivors.values()),
            [*FILLABLE[writes.record_type], *SNAPSHOT_EXTRA, "version", "updated_at"],
        )
    for rows in (writes.aliases, writes.observations, writes.merges, writes.reviews, writes.journal):
        bulk_insert(rows)
