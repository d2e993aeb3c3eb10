"""The batch's plan: where every point lies, which ids and landlords it may use, its candidates under the
cells' locks, and the decision for each building in order (created, merged or refused)."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.geo.cells import cell_of, neighbourhood
from apps.core.ids import uuid7
from apps.core.locks import advisory_xact_lock
from apps.core.principals import Principal
from apps.core.visibility import visible_many
from apps.territory.selectors import grids_visible_to

from ...inputs import check_observation
from ...matching import Match
from ...models import Building, Person, RecordType
from ..buildings import _address_fields
from ..common import CollectOutcome, ObservationMeta, far_same_code, grids_at, id_lock, id_taken, new_review
from .candidates import Filled, Spot, best_match, candidates_of
from .shared import ids_given_out, locked_survivors
from .writes import Writes, add_absorbed, add_created, write


@dataclass
class Submission:
    """One record as collected: validated fields, provenance and the raw payload kept as an observation."""

    data: dict[str, Any]
    meta: ObservationMeta
    payload: dict[str, Any]


def buildings_collect_batch(
    *, submissions: list[Submission], collector: Any
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
    plans: list[tuple[int, uuid.UUID, Spot, str]] = []  # (submission, grid, point, cell)
    for (index, location), grid in zip(located, grids, strict=True):
        if isinstance(grid, ValidationError):
            outcomes[index] = grid
        else:
            spot = Spot(location.x, location.y)
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
    given_out = ids_given_out([submissions[i].meta.submitted_id for i, *_plan in plans])
    existing = candidates_of([spot for _i, _grid, spot, _cell in plans], fields_of)
    # Buildings created earlier in the batch are candidates for the later ones, as if collected one by one.
    created_by_cell: defaultdict[str, list[Building]] = defaultdict(list)
    created_by_code: defaultdict[str, list[Building]] = defaultdict(list)
    # What merges earlier in the batch fill in on their survivors and scoring reads, as one by one would see it.
    filled = Filled()
    writes = Writes(record_type=RecordType.BUILDING)
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
        match = best_match(fields, spot, near, candidates, created_by_cell, created_by_code, filled)
        if match and (match.deterministic or match.score >= settings.GRIDAPI_MATCH_BUILDING_AUTO):
            decisions.append((index, fields, match, None))
            filled.merge(match.record, fields)
            continue
        building = Building(id=submission.meta.submitted_id or uuid7(), **fields)
        writes.records.append(building)
        created_by_cell[cell].append(building)
        if fields["address_code"]:
            created_by_code[fields["address_code"]].append(building)
        decisions.append((index, fields, match, building))
    survivors = locked_survivors(
        Building,
        [match.record.pk for _i, _f, match, created in decisions if match is not None and created is None],
        writes.records,
    )
    for index, fields, match, created in decisions:
        submission = submissions[index]
        if created is not None:
            outcomes[index] = add_created(writes, created, submission, match, fars.get(index))
        elif match is not None:
            outcomes[index] = add_absorbed(
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
    write(writes)
    return [outcome for outcome in outcomes if outcome is not None]


def _landlords(ids: list[Any], collector: Principal) -> dict[str, uuid.UUID]:
    """{landlord id as sent: canonical id} of the people the collector may see (the visibility gate)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    seen, _missing = visible_many(Person, collector, wanted)
    return {str(given): canonical for given, canonical in seen.items()}


def _problem(
    submission: Submission, given_out: set[uuid.UUID], landlords: dict[str, uuid.UUID]
) -> ValidationError | None:
    """What ``building_collect`` would refuse in this submission (the same checks, set-based), or None."""
    if submission.meta.submitted_id is not None and submission.meta.submitted_id in given_out:
        return id_taken()
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
    submission: Submission, grid_id: uuid.UUID, cell: str, landlords: dict[str, uuid.UUID]
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
