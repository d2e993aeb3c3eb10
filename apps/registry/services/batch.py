"""Collecting many buildings at once: the same decisions as ``building_collect``, in a bounded number of queries.

A device's batch of a thousand new buildings costs a thousand times the queries of one when each is
collected alone. Here the batch is planned in memory from a few set-based reads (grids of every point,
ids already given out, landlords, and for every point the candidates within reach that no veto rules out,
read under the cells' locks),
decided in order — a building collected earlier in the batch is a candidate for the later ones, exactly as
if they had come one by one — and written with one bulk statement per table: about a dozen queries, whatever
the number of buildings.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.bulk import bound_cursor, bulk_insert, bulk_update_fields
from apps.core.geo.cells import cell_of, neighbourhood
from apps.core.geo.crs import metres_to_degrees
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.principals import Principal
from apps.core.visibility import visible_many
from apps.journal.models import Change, JournalEntry
from apps.journal.services import journal_entry
from apps.territory.selectors import grids_visible_to

from ..inputs import check_observation
from ..matching import CANDIDATE_RADIUS_M, BuildingEvidence, Match, best, score_building
from ..models import Building, MergeEvent, Observation, Outcome, Person, RecordAlias, RecordType, ReviewItem
from .buildings import _address_fields
from .common import (
    CollectOutcome,
    ObservationMeta,
    far_same_code,
    grids_at,
    id_lock,
    new_alias,
    new_observation,
    new_review,
    snapshot,
)
from .merging import FILLABLE, SNAPSHOT_EXTRA, _fill, automatic_merge_event


@dataclass
class BuildingSubmission:
    """One building as collected: validated fields, provenance and the raw payload kept as an observation."""

    data: dict[str, Any]
    meta: ObservationMeta
    payload: dict[str, Any]


@dataclass
class _Writes:
    """Rows to insert or update, in the order a one-by-one collection would have written them."""

    buildings: list[Building] = field(default_factory=list)
    survivors: dict[uuid.UUID, Building] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    aliases: list[RecordAlias] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    merges: list[MergeEvent] = field(default_factory=list)
    reviews: list[ReviewItem] = field(default_factory=list)


def buildings_collect_batch(
    *, submissions: list[BuildingSubmission], collector: Any
) -> list[CollectOutcome | ValidationError]:
    """Collect ``submissions`` in order inside the caller's transaction; one outcome or error for each.

    An error concerns its submission only: the others are decided as if it had not been sent.
    """
    outcomes: list[CollectOutcome | ValidationError | None] = [
        None if s.meta.location else ValidationError({"location": [_("A building needs a location.")]})
        for s in submissions
    ]
    located = [(i, s.meta.location) for i, s in enumerate(submissions) if s.meta.location is not None]
    # The grids the collector serves: where it may collect, and whether a survivor is in its scope.
    serves = set(grids_visible_to(collector).values_list("pk", flat=True)) if located else set()
    grids = grids_at([location for _i, location in located], collector=collector, visible=serves)
    plans: list[tuple[int, uuid.UUID, _Spot, str]] = []  # (submission, grid, point, cell)
    for (index, location), grid in zip(located, grids, strict=True):
        if isinstance(grid, ValidationError):
            outcomes[index] = grid
        else:
            spot = _Spot(location.x, location.y)
            plans.append((index, grid, spot, cell_of(spot.x, spot.y)))
    landlords = _landlords([submissions[i].data.get("landlord_id") for i, *_plan in plans], collector)
    fields_of = [_fields(submissions[i], grid_id, cell, landlords) for i, grid_id, _spot, cell in plans]
    codes = {fields["address_code"] for fields in fields_of} - {""}
    nears = [neighbourhood(cell) for *_plan, cell in plans]
    cells = {c for near in nears for c in near}
    advisory_xact_lock(
        [("building-cell", c) for c in cells]
        + [("building-code", c) for c in codes]
        + [key for i, *_plan in plans for key in id_lock(submissions[i].meta.submitted_id)]
    )
    given_out = _ids_given_out([submissions[i].meta.submitted_id for i, *_plan in plans])
    existing = _candidates([spot for _i, _grid, spot, _cell in plans], fields_of)
    # Buildings created earlier in the batch are candidates for the later ones, as if collected one by one.
    created_by_cell: defaultdict[str, list[Building]] = defaultdict(list)
    created_by_code: defaultdict[str, list[Building]] = defaultdict(list)
    # What merges earlier in the batch fill in on their survivors and scoring reads, as one by one would see it.
    filled = _Filled()
    writes = _Writes()
    decisions: list[tuple[int, dict[str, Any], Match | None, Building | None]] = []
    fars: dict[int, Match] = {}  # collections whose standard code another building holds too far away
    for (index, _grid, spot, cell), fields, near, candidates in zip(
        plans, fields_of, nears, existing, strict=True
    ):
        submission = submissions[index]
        problem = _problem(submission, given_out, landlords)
        if problem is not None:
            outcomes[index] = problem
            continue
        if submission.meta.submitted_id is not None:
            given_out.add(submission.meta.submitted_id)
        code = fields["address_code"]
        same_code = [*candidates, *created_by_code.get(code, ()), *filled.by_code.get(code, {}).values()]
        far = far_same_code(code, same_code if code else (), spot.x, spot.y)
        if far is not None:  # as ``building_collect``: kept without the code, which goes to review
            fields["address_code"] = ""
            candidates = [c for c in candidates if c.pk != far.record.pk]
            fars[index] = far
        match = _best_match(fields, spot, near, candidates, created_by_cell, created_by_code, filled)
        if match and (match.deterministic or match.score >= settings.GRIDAPI_MATCH_BUILDING_AUTO):
            decisions.append((index, fields, match, None))
            filled.merge(match.record, fields)
            continue
        building = Building(id=submission.meta.submitted_id or uuid7(), **fields)
        writes.buildings.append(building)
        created_by_cell[cell].append(building)
        if fields["address_code"]:
            created_by_code[fields["address_code"]].append(building)
        decisions.append((index, fields, match, building))
    survivors = _locked_survivors(
        [match.record.pk for _i, _f, match, created in decisions if match is not None and created is None],
        writes.buildings,
    )
    for index, fields, match, created in decisions:
        submission = submissions[index]
        if created is not None:
            outcomes[index] = _create(writes, created, submission, match, fars.get(index))
        elif match is not None:
            outcomes[index] = _absorb(
                writes, survivors[match.record.pk], fields, submission, match,
                in_scope=collector is None or survivors[match.record.pk].grid_id in serves,
            )  # fmt: skip
            if index in fars and not any(
                r.record_id == match.record.pk and r.candidate_id == fars[index].record.pk
                for r in writes.reviews
            ):
                writes.reviews.append(
                    new_review(
                        record_type=RecordType.BUILDING, record=survivors[match.record.pk], match=fars[index]
                    )
                )
    _write(writes)
    return [outcome for outcome in outcomes if outcome is not None]


def _ids_given_out(ids: list[uuid.UUID | None]) -> set[uuid.UUID]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    return set(RecordAlias.objects.filter(alias__in=wanted).values_list("alias", flat=True))


def _landlords(ids: list[Any], collector: Principal) -> dict[str, uuid.UUID]:
    """{landlord id as sent: canonical id} of the people the collector may see (the visibility gate)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    seen, _missing = visible_many(Person, collector, wanted)
    return {str(given): canonical for given, canonical in seen.items()}


class _Spot(NamedTuple):
    x: float
    y: float


@dataclass(slots=True)
class _Candidate:
    """What scoring reads of an existing building (tens of thousands per batch: no model instances)."""

    pk: uuid.UUID
    cell: str
    location: _Spot
    address_norm: str
    address_code: str
    house_number: str
    block_number: str
    name: str
    use: str


# For every collected point, the canonical buildings that could score above zero: those within reach in the
# neighbourhood cells (a box a little larger than CANDIDATE_RADIUS_M: farther ones score 0) that no veto rules
# out — a different standard address code, house number or block number (``score_building`` gives them 0) — and
# those with the same standard address code wherever they are. One GiST probe per point; in a dense registry
# the vetoes leave a handful of the dozens of buildings within reach, so few rows come back to be scored.
_CANDIDATES = """
SELECT p.i, b.id, ST_X(b.location), ST_Y(b.location), b.cell, b.address_norm, b.address_code, b.house_number,
       b.block_number, b.name, b.use
FROM unnest(%(xs)b::float8[], %(ys)b::float8[], %(dx)b::float8[], %(dy)b::float8[], %(houses)b::text[],
            %(blocks)b::text[], %(codes)b::text[]) WITH ORDINALITY AS p(x, y, dx, dy, house, block, code, i)
JOIN registry_building b
  ON b.location && ST_MakeEnvelope(p.x - p.dx, p.y - p.dy, p.x + p.dx, p.y + p.dy, 4326)
WHERE b.merged_into_id IS NULL
  AND (p.code = '' OR b.address_code = '')
  AND (p.house = '' OR b.house_number = '' OR b.house_number = p.house)
  AND (p.block = '' OR b.block_number = '' OR b.block_number = p.block)
UNION ALL
SELECT 0, b.id, ST_X(b.location), ST_Y(b.location), b.cell, b.address_norm, b.address_code, b.house_number,
       b.block_number, b.name, b.use
FROM registry_building b
WHERE b.address_code = ANY(%(known_codes)b::text[]) AND b.merged_into_id IS NULL
"""


def _candidates(spots: list[_Spot], fields: list[dict[str, Any]]) -> list[list[_Candidate]]:
    """The existing candidates of each point of a batch (``fields`` of each building): one query.

    The cells are left to the caller: a condition on the thousands of cells of a batch cost the planner more
    than the few rows it removes.
    """
    found: list[list[_Candidate]] = [[] for _fields in fields]
    if not fields:
        return found
    # 5 % beyond the radius: the box is drawn with metres-per-degree figures a little off the haversine's.
    boxes = [metres_to_degrees(CANDIDATE_RADIUS_M * 1.05, spot.y) for spot in spots]
    codes = [f["address_code"] for f in fields]
    params: dict[str, Any] = {
        "xs": [spot.x for spot in spots], "ys": [spot.y for spot in spots],
        "dx": [dx for dx, _dy in boxes], "dy": [dy for _dx, dy in boxes],
        "houses": [f["house_number"] for f in fields], "blocks": [f["block_number"] for f in fields],
        "codes": codes, "known_codes": sorted(set(codes) - {""}),
    }  # fmt: skip
    with bound_cursor() as cursor:
        cursor.execute(_CANDIDATES, params)
        rows = cursor.fetchall()
    with_code: defaultdict[str, list[int]] = defaultdict(list)
    for index, code in enumerate(codes):
        if code:
            with_code[code].append(index)
    for number, pk, lon, lat, cell, *rest in rows:
        candidate = _Candidate(pk, cell, _Spot(lon, lat), *rest)
        for index in with_code[candidate.address_code] if number == 0 else (number - 1,):
            found[index].append(candidate)
    return found


def _problem(
    submission: BuildingSubmission, given_out: set[uuid.UUID], landlords: dict[str, uuid.UUID]
) -> ValidationError | None:
    """What ``building_collect`` would refuse in this submission (the same checks, set-based), or None."""
    if submission.meta.submitted_id is not None and submission.meta.submitted_id in given_out:
        return ValidationError({"id": [_("This id is already used by another record.")]})
    try:
        check_observation(
            collected_at=submission.meta.collected_at, location=submission.meta.location,
            footprint=submission.data.get("footprint"),
        )  # fmt: skip
    except ValidationError as problem:
        return problem
    landlord = submission.data.get("landlord_id")
    if landlord and str(landlord) not in landlords:
        return ValidationError({"landlord_id": [_("No such person among those you may see.")]})
    return None


def _fields(
    submission: BuildingSubmission, grid_id: uuid.UUID, cell: str, landlords: dict[str, uuid.UUID]
) -> dict[str, Any]:
    data = submission.data
    return {
        **_address_fields(data["address"]),
        "address_code": data.get("address_code") or "",
        "name": data.get("name") or "",
        "use": data.get("use") or "",
        "floors": data.get("floors"),
        "footprint": data.get("footprint"),
        "landlord_id": landlords.get(str(data.get("landlord_id"))) if data.get("landlord_id") else None,
        "location": submission.meta.location,
        "cell": cell,
        "grid_id": grid_id,
    }


# The fields a merge may fill in on its survivor that scoring reads (house and block numbers are never filled).
_SCORED_FILLABLE = ("address_code", "name", "use")


class _Filled:
    """The scored fields of the buildings that absorbed a collection earlier in the batch, as filled in then.

    A survivor's rows are updated only when the batch is written; until then the later collections of the batch
    see, through this, what they would have read one by one: a standard code just filled in vetoes another code
    and finds this building from afar, a name just filled in counts against another name.
    """

    def __init__(self) -> None:
        self.fields: dict[uuid.UUID, dict[str, Any]] = {}
        self.by_code: dict[str, dict[uuid.UUID, Any]] = defaultdict(dict)  # the survivors by filled-in code

    def merge(self, survivor: Any, incoming: dict[str, Any]) -> None:
        """``survivor`` absorbs a collection of ``incoming`` fields: fill in what it lacks (``fill_in``'s rule)."""
        current = self.fields.get(survivor.pk) or {name: getattr(survivor, name) for name in _SCORED_FILLABLE}
        for name in _SCORED_FILLABLE:
            if current[name] in (None, "", []) and incoming.get(name) not in (None, "", []):
                current[name] = incoming[name]
        self.fields[survivor.pk] = current
        if current["address_code"]:
            self.by_code[current["address_code"]][survivor.pk] = survivor

    def seen_as(self, building: Any) -> Any:
        """``building`` (an existing candidate or a building created in the batch) as scoring sees it now."""
        if building.pk not in self.fields:
            return building
        location = building.location
        return _Candidate(
            pk=building.pk, cell=building.cell, location=_Spot(location.x, location.y),
            address_norm=building.address_norm, house_number=building.house_number,
            block_number=building.block_number, **self.fields[building.pk],
        )  # fmt: skip


def _best_match(
    fields: dict[str, Any], spot: _Spot, near: list[str], existing: list[_Candidate],
    created_by_cell: dict[str, list[Building]], created_by_code: dict[str, list[Building]], filled: _Filled,
) -> Match | None:  # fmt: skip
    """The best of the point's existing candidates and the buildings created before it in the batch, within its
    neighbourhood cells ``near`` (or with its standard address code), as merges earlier in the batch left them."""
    code = fields["address_code"]
    evidence = BuildingEvidence(
        lon=spot.x, lat=spot.y, address_norm=fields["address_norm"],
        house_number=fields["house_number"] or None, block_number=fields["block_number"] or None,
        address_code=code, name=fields["name"], use=fields["use"],
    )  # fmt: skip
    now = [filled.seen_as(c) for c in existing]
    # Within reach but outside the neighbourhood cells: not a candidate when collected alone, nor here.
    seen: dict[Any, Any] = {c.pk: c for c in now if c.cell in near or (code and c.address_code == code)}
    for cell in near:
        for building in created_by_cell.get(cell, ()):
            seen[building.pk] = filled.seen_as(building)
    if code:
        for building in [*created_by_code.get(code, ()), *filled.by_code.get(code, {}).values()]:
            seen[building.pk] = filled.seen_as(building)
    return best([score_building(evidence, candidate) for candidate in seen.values()])


def _locked_survivors(ids: list[uuid.UUID], created: list[Building]) -> dict[uuid.UUID, Building]:
    """The records that absorb others: those created in this batch as they are, the rest locked and fresh."""
    survivors = {building.pk: building for building in created}
    existing = sorted({pk for pk in ids if pk not in survivors})
    if existing:
        # In id order, so two batches merging into the same buildings lock them in the same order.
        survivors |= {
            b.pk: b for b in Building.objects.select_for_update().filter(pk__in=existing).order_by("pk")
        }
    return survivors


def _observation(
    submission: BuildingSubmission, record_id: uuid.UUID, submitted_id: uuid.UUID, outcome: str,
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


def _create(
    writes: _Writes, building: Building, submission: BuildingSubmission, match: Match | None,
    far: Match | None = None,
) -> CollectOutcome:  # fmt: skip
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


def _absorb(
    writes: _Writes, survivor: Building, fields: dict[str, Any], submission: BuildingSubmission, match: Match,
    *, in_scope: bool = True,
) -> CollectOutcome:  # fmt: skip
    """What ``absorb`` does for one collection, on the in-memory survivor (see ``merging.absorb``)."""
    meta = submission.meta
    tombstone = Building(id=meta.submitted_id or uuid7(), merged_into_id=survivor.pk, **fields)
    writes.buildings.append(tombstone)
    before = snapshot(survivor, FILLABLE[RecordType.BUILDING] + SNAPSHOT_EXTRA)
    observation_id = uuid7()
    filled = _fill(RecordType.BUILDING, survivor, fields, str(observation_id))
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


def _write(writes: _Writes) -> None:
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
