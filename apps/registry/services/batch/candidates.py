"""The batch's reads for matching: the existing candidates of every point in one query, and scoring against
them and against the buildings created or filled in earlier in the batch, as one-by-one collection would."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from apps.core.bulk import bound_cursor
from apps.core.geo.crs import metres_to_degrees

from ...matching import CANDIDATE_RADIUS_M, BuildingEvidence, Match, best, score_building
from ...models import Building


class Spot(NamedTuple):
    x: float
    y: float


@dataclass(slots=True)
class Candidate:
    """What scoring reads of an existing building (tens of thousands per batch: no model instances)."""

    pk: uuid.UUID
    cell: str
    location: Spot
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


def candidates_of(spots: list[Spot], fields: list[dict[str, Any]]) -> list[list[Candidate]]:
    """The existing candidates of each point of a batch (``fields`` of each building): one query.

    The cells are left to the caller: a condition on the thousands of cells of a batch cost the planner more
    than the few rows it removes.
    """
    found: list[list[Candidate]] = [[] for _fields in fields]
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
        candidate = Candidate(pk, cell, Spot(lon, lat), *rest)
        for index in with_code[candidate.address_code] if number == 0 else (number - 1,):
            found[index].append(candidate)
    return found


# The fields a merge may fill in on its survivor that scoring reads (house and block numbers are never filled).
_SCORED_FILLABLE = ("address_code", "name", "use")


class Filled:
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
        return Candidate(
            pk=building.pk, cell=building.cell, location=Spot(location.x, location.y),
            address_norm=building.address_norm, house_number=building.house_number,
            block_number=building.block_number, **self.fields[building.pk],
        )  # fmt: skip


def best_match(
    fields: dict[str, Any], spot: Spot, near: list[str], existing: list[Candidate],
    created_by_cell: dict[str, list[Building]], created_by_code: dict[str, list[Building]], filled: Filled,
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
