"""Collecting many organisations at once: ``organisation_collect``'s decisions in a bounded number of queries.

A device's run of new organisations (a street's shops) is planned in memory from a few set-based reads — the
buildings named, through the visibility gate; the grid of every point; the ids already given out; and every
canonical organisation that could be a candidate of any of them, read once under the locks one-by-one
collection takes — then decided in order, each against the candidates ``organisation_candidates`` would read
for it at that moment: an organisation created earlier in the run is a candidate for the later ones, and what
a merge earlier in the run fills in on its survivor (a credit code, a building, a room, a phone) decides the
later ones as it would have one by one. Rows are written with one statement per table.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.gis.geos import Point
from rest_framework.exceptions import ValidationError

from apps.core.bulk import bound_cursor
from apps.core.geo.cells import cell_of, neighbourhood
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.visibility import visible_many
from apps.territory.selectors import grids_visible_to

from ..matching import Match, best
from ..models import Building, RecordType
from ..services.batch import Submission
from ..services.batch.shared import ids_given_out, locked_survivors
from ..services.batch.writes import Writes, add_absorbed, add_created, write
from ..services.common import CollectOutcome, grids_at, id_lock, id_taken
from ..services.merge_rules import held_back
from .matching import score_organisation
from .models import Organisation
from .selectors import CANDIDATES_READ
from .services import building_unseen, evidence_of, no_place, organisation_fields


class Spot(NamedTuple):
    x: float
    y: float


@dataclass(slots=True)
class Seen:
    """An organisation as scoring sees it at a point of the run: read for the run or created in it, with what
    merges earlier in the run filled in (no model instances for the hundreds of candidates read)."""

    pk: uuid.UUID
    cell: str
    location: Spot
    name_norm: str
    code_key: str
    building_id: uuid.UUID | None
    room: str
    floor: str
    phone_index: str
    legal_rep_id_number_index: str
    kind: str
    grid_id: Any  # a grid's id


# What scoring reads that a merge may fill in: empty on the survivor, given by the collection.
_SCORED_FILLABLE = (
    "code_key",
    "building_id",
    "room",
    "floor",
    "phone_index",
    "legal_rep_id_number_index",
    "kind",
)

# Every canonical organisation in the neighbourhood cells, the buildings or with the verified codes of a run:
# the union of what ``organisation_candidates`` reads for each of its collections.
_POOL = """
SELECT o.id, o.cell, ST_X(o.location), ST_Y(o.location), o.name_norm, o.code_key, o.building_id, o.room,
       o.floor, o.phone_index, o.legal_rep_id_number_index, o.kind, o.grid_id
FROM registry_organisation o
WHERE o.merged_into_id IS NULL
  AND (o.cell = ANY(%(cells)b::text[]) OR o.building_id = ANY(%(buildings)b::uuid[])
       OR (o.code_key <> '' AND o.code_key = ANY(%(codes)b::text[])))
"""


class Pool:
    """The organisations of a run's neighbourhood, indexed as ``organisation_candidates`` looks them up."""

    def __init__(self, rows: list[Seen]) -> None:
        self.by_cell: defaultdict[str, dict[uuid.UUID, Seen]] = defaultdict(dict)
        self.by_building: defaultdict[Any, dict[uuid.UUID, Seen]] = defaultdict(dict)
        self.by_code: defaultdict[str, dict[uuid.UUID, Seen]] = defaultdict(dict)
        for seen in rows:
            self.add(seen)

    def add(self, seen: Seen) -> None:
        self.by_cell[seen.cell][seen.pk] = seen
        if seen.building_id:
            self.by_building[seen.building_id][seen.pk] = seen
        if seen.code_key:
            self.by_code[seen.code_key][seen.pk] = seen

    def candidates(self, fields: dict[str, Any]) -> list[Seen]:
        """What ``organisation_candidates`` would read now for a collection of ``fields``, in its order."""
        code, building = fields["code_key"], fields["building_id"]
        near: dict[uuid.UUID, Seen] = {}
        for cell in neighbourhood(fields["cell"]):
            near |= self.by_cell.get(cell, {})
        if building:
            near |= self.by_building.get(building, {})
        if code:  # another verified code scores 0: not read
            near = {pk: seen for pk, seen in near.items() if not seen.code_key} | self.by_code.get(code, {})

        def rank(seen: Seen) -> tuple[int, uuid.UUID]:
            first = seen.code_key == code if code else seen.name_norm == fields["name_norm"]
            return (0 if first else 1, seen.pk)

        return sorted(near.values(), key=rank)[:CANDIDATES_READ]

    def merge(self, survivor: Seen, incoming: dict[str, Any]) -> None:
        """``survivor`` absorbs a collection of ``incoming`` fields: fill in what it lacks (``fill_survivor``)."""
        for name in _SCORED_FILLABLE:
            if getattr(survivor, name) in (None, "") and incoming.get(name) not in (None, ""):
                setattr(survivor, name, incoming[name])
        if survivor.building_id:
            self.by_building[survivor.building_id][survivor.pk] = survivor
        if survivor.code_key:
            self.by_code[survivor.code_key][survivor.pk] = survivor


def _pool(fields_of: list[dict[str, Any]]) -> Pool:
    params = {
        "cells": sorted({c for fields in fields_of for c in neighbourhood(fields["cell"])}),
        "buildings": sorted({fields["building_id"] for fields in fields_of if fields["building_id"]}),
        "codes": sorted({fields["code_key"] for fields in fields_of} - {""}),
    }
    with bound_cursor() as cursor:
        cursor.execute(_POOL, params)
        rows = cursor.fetchall()
    return Pool([Seen(pk, cell, Spot(x, y), *rest) for pk, cell, x, y, *rest in rows])


def _seen(record: Organisation) -> Seen:
    location: Any = record.location  # a new record: its location is set
    return Seen(
        pk=record.pk, cell=record.cell, location=Spot(location.x, location.y),
        name_norm=record.name_norm, code_key=record.code_key, building_id=record.building_id, room=record.room,
        floor=record.floor, phone_index=record.phone_index,
        legal_rep_id_number_index=record.legal_rep_id_number_index, kind=record.kind, grid_id=record.grid_id,
    )  # fmt: skip


def _buildings(ids: list[Any], collector: Any) -> dict[str, Building]:
    """{building id as sent: the canonical building} for those the collector may see (the visibility gate)."""
    wanted = {i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids if i}
    if not wanted:
        return {}
    seen, _missing = visible_many(Building, collector, wanted)
    found = Building.objects.only("id", "location").in_bulk(set(seen.values()))
    return {str(given): found[canonical] for given, canonical in seen.items() if canonical in found}


def organisations_collect_batch(
    *, submissions: list[Submission], collector: Any
) -> list[CollectOutcome | ValidationError]:
    """Collect ``submissions`` (data validated by ``OrganisationDataSerializer``, no photos) in order inside the
    caller's transaction; one outcome or error for each, as ``organisation_collect`` would give one by one.

    An error concerns its submission only: the others are decided as if it had not been sent.
    """
    outcomes: list[CollectOutcome | ValidationError | None] = [None] * len(submissions)
    buildings = _buildings([s.data.get("building_id") for s in submissions], collector)
    placed: list[tuple[int, Building | None, Point]] = []
    for index, submission in enumerate(submissions):
        given = submission.data.get("building_id")
        building = buildings.get(str(given)) if given else None
        if given and building is None:
            outcomes[index] = building_unseen()
            continue
        location = submission.meta.location or (building.location if building else None)
        if location is None:
            outcomes[index] = no_place()
            continue
        placed.append((index, building, location))
    serves = set(grids_visible_to(collector).values_list("pk", flat=True)) if placed else set()
    grids = grids_at([location for *_given, location in placed], collector=collector, visible=serves)
    plans: list[tuple[int, dict[str, Any]]] = []
    for (index, building, location), grid in zip(placed, grids, strict=True):
        if isinstance(grid, ValidationError):
            outcomes[index] = grid
            continue
        fields = organisation_fields(
            data=submissions[index].data, building=building, location=location,
            cell=cell_of(location.x, location.y), grid_id=grid,
        )  # fmt: skip
        plans.append((index, fields))
    advisory_xact_lock(
        [("organisation-cell", c) for _i, fields in plans for c in neighbourhood(fields["cell"])]
        + [("organisation-building", str(f["building_id"])) for _i, f in plans if f["building_id"]]
        + [("organisation-code", f["code_key"]) for _i, f in plans if f["code_key"]]
        + [key for i, _fields in plans for key in id_lock(submissions[i].meta.submitted_id)]
    )
    given_out = ids_given_out([submissions[i].meta.submitted_id for i, _fields in plans])
    pool = _pool([fields for _i, fields in plans]) if plans else Pool([])
    auto = settings.GRIDAPI_MATCH_ORGANISATION_AUTO
    writes = Writes(record_type=RecordType.ORGANISATION)
    decisions: list[tuple[int, dict[str, Any], Match | None, Organisation | None]] = []
    for index, fields in plans:
        submitted_id = submissions[index].meta.submitted_id
        if submitted_id is not None and submitted_id in given_out:
            outcomes[index] = id_taken()
            continue
        if submitted_id is not None:
            given_out.add(submitted_id)
        evidence = evidence_of(fields)
        match = best([score_organisation(evidence, c, auto_threshold=auto) for c in pool.candidates(fields)])
        if match and (match.deterministic or match.score >= auto):
            survivor: Seen = match.record
            kept = (
                fields
                if survivor.grid_id in serves
                else held_back(RecordType.ORGANISATION, survivor, fields)[0]
            )
            pool.merge(survivor, kept)
            decisions.append((index, fields, match, None))
            continue
        organisation = Organisation(id=submitted_id or uuid7(), **fields)
        writes.records.append(organisation)
        pool.add(_seen(organisation))
        decisions.append((index, fields, match, organisation))
    survivors = locked_survivors(
        Organisation,
        [match.record.pk for _i, _f, match, created in decisions if match is not None and created is None],
        writes.records,
    )
    for index, fields, match, created in decisions:
        if created is not None:
            outcomes[index] = add_created(writes, created, submissions[index], match)
        elif match is not None:
            survivor = survivors[match.record.pk]
            outcomes[index] = add_absorbed(
                writes, survivor, fields, submissions[index], match, in_scope=survivor.grid_id in serves
            )
    write(writes)
    return [outcome for outcome in outcomes if outcome is not None]
