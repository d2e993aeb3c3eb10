"""Pieces every collect service shares: observation metadata, outcomes, aliases, field snapshots."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.bulk import bound_cursor
from apps.core.crypto import seal_json
from apps.core.errors import PreconditionFailed
from apps.core.geo.cells import cell_of
from apps.core.geo.crs import distance_m
from apps.core.ids import uuid7
from apps.journal.models import Change
from apps.journal.services import journal_record
from apps.territory.models import Level, TerritoryNode
from apps.territory.selectors import grids_visible_to

from ..matching import Match
from ..models import Observation, Outcome, RecordAlias, ReviewItem


@dataclass(frozen=True)
class ObservationMeta:
    """Who collected, when, where and with what: the provenance of one collection act."""

    collector: Any
    collected_at: dt.datetime = field(default_factory=timezone.now)
    device_id: str = ""
    location: Point | None = None
    accuracy_m: float | None = None
    submitted_id: uuid.UUID | None = None


@dataclass
class CollectOutcome:
    """What a collect did: the canonical record, whether it was created, merged or updated, and why."""

    record: Any
    outcome: str
    observation: Observation
    match: Match | None = None
    review: ReviewItem | None = None
    submitted_id: uuid.UUID | None = None
    # The record's version right after this collection (a later one in the same batch may raise it).
    version: int | None = None
    # Whether the collector may see the record: when not, the answer names its id and nothing else.
    in_scope: bool = True
    # A person found living in the collector's grid moved here from this grid (人走/人来).
    moved_from: uuid.UUID | None = None

    @property
    def created(self) -> bool:
        return self.outcome == Outcome.CREATED

    def explanation(self) -> dict[str, Any] | None:
        if self.match is None or not self.in_scope:
            return None
        return {"score": self.match.score, "reasons": self.match.reasons}


def grid_at(point: Point, *, collector: Any = None) -> TerritoryNode:
    """The grid containing ``point`` among those ``collector`` may collect in (all when None).

    A 400 naming ``location`` when the point lies outside every grid, or outside the collector's grids.
    """
    grids = (
        grids_visible_to(collector)
        if collector is not None
        else TerritoryNode.objects.filter(level=Level.GRID)
    )
    grid = grids.filter(boundary__intersects=point).only("id", "code", "path").order_by("code").first()
    if grid is not None:
        return grid
    raise _outside_grids(
        in_some_grid=collector is not None
        and TerritoryNode.objects.filter(level=Level.GRID, boundary__intersects=point).exists()
    )


def _outside_grids(*, in_some_grid: bool) -> ValidationError:
    """The 400 for a location in none of the collector's grids (saying whether it is in any grid at all)."""
    if in_some_grid:
        return ValidationError({"location": [_("The location is outside the grids you serve.")]})
    return ValidationError({"location": [_("The location is outside every grid of the city.")]})


_GRIDS_AT = """
SELECT p.i, g.id
FROM unnest(%b::int[], %b::float8[], %b::float8[]) AS p(i, x, y)
JOIN territory_territorynode g
  ON g.level = 'grid' AND ST_Intersects(g.boundary, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
ORDER BY p.i, g.code
"""


def grids_at(
    points: list[Point], *, collector: Any, visible: set[uuid.UUID] | None = None
) -> list[uuid.UUID | ValidationError]:
    """``grid_at`` for many points in two queries: each point's grid id, or the error ``grid_at`` raises.

    ``visible``: the ids of the grids the collector may see, when the caller has read them already.
    """
    if not points:
        return []
    if visible is None:
        visible = set(grids_visible_to(collector).values_list("pk", flat=True))
    found: dict[int, list[uuid.UUID]] = {}
    with bound_cursor() as cursor:
        cursor.execute(_GRIDS_AT, [list(range(len(points))), [p.x for p in points], [p.y for p in points]])
        for index, grid_id in cursor.fetchall():
            found.setdefault(index, []).append(grid_id)
    answers: list[uuid.UUID | ValidationError] = []
    for index in range(len(points)):
        grids = found.get(index, [])
        mine = [grid_id for grid_id in grids if grid_id in visible]
        answers.append(mine[0] if mine else _outside_grids(in_some_grid=bool(grids)))
    return answers


def id_lock(record_id: uuid.UUID | None) -> list[tuple[str, str]]:
    """The advisory lock of a record id a device made, taken with the collection's other locks (in one
    statement, so that they are all taken in the global order): two devices sending one id at once."""
    return [("record-id", str(record_id))] if record_id is not None else []


def held_by_another(model: type[Model], *, column: str, value: str, record_id: Any) -> bool:
    """Whether a canonical record other than ``record_id`` holds ``value`` in ``column``, a key that decides alone
    (one canonical record each: a person's ID number, a building's standard address code)."""
    return model.objects.filter(**{column: value}, merged_into__isnull=True).exclude(pk=record_id).exists()  # type: ignore[attr-defined]


def id_taken() -> ValidationError:
    """The answer to a device-made id that already names a record (of any type)."""
    return ValidationError({"id": [_("This id is already used by another record.")]})


def check_new_id(*, record_type: str, record_id: uuid.UUID | None) -> None:
    if record_id is not None and RecordAlias.objects.filter(alias=record_id).exists():
        raise id_taken()


def plain(value: Any) -> Any:
    """A JSON-friendly copy of a field value (geometries as EWKT, dates as ISO strings)."""
    if isinstance(value, GEOSGeometry):
        return value.ewkt
    if isinstance(value, dt.date | dt.datetime | uuid.UUID):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def snapshot(record: Model, fields: list[str]) -> dict[str, Any]:
    return {name: plain(getattr(record, name)) for name in fields}


def restore(record: Model, values: dict[str, Any]) -> None:
    """Set fields from a ``snapshot`` (geometries and dates parsed back by the model fields)."""
    for name, value in values.items():
        model_field: Any = record._meta.get_field(name[:-3] if name.endswith("_id") else name)
        if name.endswith("_id") or value is None:
            setattr(record, name, value)
        elif model_field.get_internal_type() in {"PointField", "PolygonField"}:
            setattr(record, name, GEOSGeometry(value))
        else:
            setattr(record, name, model_field.to_python(value))


def new_observation(
    *, record_type: str, record_id: uuid.UUID, meta: ObservationMeta, payload: dict[str, Any], outcome: str,
    match: Match | None = None, observation_id: uuid.UUID | None = None,
) -> Observation:  # fmt: skip
    """An unsaved observation (``record_observation`` saves one; a batch inserts many at once)."""
    return Observation(
        id=observation_id or uuid7(),
        record_type=record_type,
        record_id=record_id,
        submitted_id=meta.submitted_id,
        collector=meta.collector,
        device_id=meta.device_id,
        collected_at=meta.collected_at,
        location=meta.location,
        accuracy_m=meta.accuracy_m,
        payload_sealed=seal_json(payload),
        outcome=outcome,
        score=match.score if match else None,
        reasons=match.reasons if match else [],
    )


def record_observation(
    *, record_type: str, record_id: uuid.UUID, meta: ObservationMeta, payload: dict[str, Any], outcome: str,
    match: Match | None = None, observation_id: uuid.UUID | None = None,
) -> Observation:  # fmt: skip
    """Keep one collection act."""
    row = new_observation(
        record_type=record_type, record_id=record_id, meta=meta, payload=payload, outcome=outcome, match=match,
        observation_id=observation_id,
    )  # fmt: skip
    row.save(force_insert=True)
    return row


def new_alias(*, record_type: str, alias: uuid.UUID, canonical_id: uuid.UUID) -> RecordAlias:
    return RecordAlias(alias=alias, record_type=record_type, canonical_id=canonical_id)


def alias_add(*, record_type: str, alias: uuid.UUID, canonical_id: uuid.UUID) -> None:
    """Record a new id (callers have checked it was never given out)."""
    new_alias(record_type=record_type, alias=alias, canonical_id=canonical_id).save(force_insert=True)


def fill_in(
    record: Model, incoming: dict[str, Any], observation_ref: str
) -> tuple[list[str], dict[str, Any]]:
    """Fill fields the record lacks from ``incoming``; keep differing values as alternatives.

    Returns the fields filled and the record's alternatives after the change.
    """
    filled: list[str] = []
    alternatives: dict[str, Any] = dict(getattr(record, "alternatives", {}) or {})
    for name, value in incoming.items():
        if value in (None, "", []):
            continue
        current = getattr(record, name)
        if current in (None, "", []):
            setattr(record, name, value)
            filled.append(name)
        elif plain(current) != plain(value):
            entries = alternatives.setdefault(name, [])
            if all(entry["value"] != plain(value) for entry in entries):
                entries.append({"value": plain(value), "observation": observation_ref})
    return filled, alternatives


def code_max_distance_m() -> float:
    return float(getattr(settings, "GRIDAPI_MATCH_CODE_MAX_DISTANCE_M", 300))


def far_same_code(code: str, candidates: Iterable[Any], lon: float, lat: float) -> Match | None:
    """The building holding standard address code ``code`` when it lies farther than
    ``GRIDAPI_MATCH_CODE_MAX_DISTANCE_M`` from the collected point, as a match for review; else None.

    A standard code names one building, but a code 7 km from where it was collected is a mistyped code or a
    mislabelled plate more often than the same building: it is not merged (nor filled in on a nearby building,
    which would give two buildings one code); a dispatcher of the record decides.
    """
    if not code:
        return None
    limit = code_max_distance_m()
    for candidate in candidates:
        if candidate.address_code == code:
            metres = distance_m(lon, lat, candidate.location.x, candidate.location.y)
            if metres > limit:
                return Match(candidate, 1.0, [f"same standard address code, {metres:.0f} m apart"])
    return None


def new_review(*, record_type: str, record: Any, match: Match) -> ReviewItem:
    """An unsaved review item: ``record`` may be the same thing as ``match.record``."""
    return ReviewItem(
        record_type=record_type,
        record_id=record.pk,
        candidate_id=match.record.pk,
        grid_id=record.grid_id,
        score=match.score,
        reasons=match.reasons,
    )


def queue_review(*, record_type: str, record: Any, match: Match) -> ReviewItem:
    """Queue ``record`` ≟ ``match.record`` for a dispatcher (the open item of that pair if there is one)."""
    open_item = ReviewItem.objects.filter(
        record_type=record_type, record_id=record.pk, candidate_id=match.record.pk, status="open"
    ).first()
    if open_item is not None:
        return open_item
    review = new_review(record_type=record_type, record=record, match=match)
    review.save(force_insert=True)
    return review


def locked_for_update(
    *, record: Any, expected_version: int, changes: dict[str, Any], editable: list[str]
) -> Any:
    """The record, locked, if it is still at ``expected_version`` (else 412), canonical, and ``changes`` only
    touches ``editable`` fields."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.version != expected_version:
        raise PreconditionFailed()
    if record.merged_into_id is not None:
        raise ValidationError({"id": [_("This record has been merged into another.")]})
    unknown = set(changes) - set(editable)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    return record


def move_to(*, record: Any, location: Point, collector: Any) -> None:
    """Put the record at ``location``: its grid and cell follow (the collector must serve the new grid)."""
    record.grid_id = grid_at(location, collector=collector).pk
    record.location, record.cell = location, cell_of(location.x, location.y)


def save_update(
    *, record_type: str, record: Any, meta: ObservationMeta, payload: dict[str, Any], fields: list[str],
    previous_grid: Any,
) -> None:  # fmt: skip
    """Bump the version, save, keep the update as an observation, and journal it (a move if the grid changed)."""
    record.version += 1
    record.save()
    record_observation(
        record_type=record_type, record_id=record.pk, meta=meta, payload=payload, outcome=Outcome.UPDATED
    )
    journal_update(
        record_type=record_type,
        record=record,
        fields=fields,
        previous_grid=previous_grid,
        actor=meta.collector,
    )


def journal_update(
    *, record_type: str, record: Any, fields: list[str], previous_grid: Any = None, actor: Any = None
) -> None:
    """Journal an update; a change of grid is a move (it may take the record out of someone's scope)."""
    moved = previous_grid is not None and previous_grid != record.grid_id
    journal_record(
        record_type=record_type, record_id=record.pk, change=Change.MOVED if moved else Change.UPDATED,
        version=record.version, grid_id=record.grid_id, previous_grid_id=previous_grid, fields=fields, actor=actor,
    )  # fmt: skip
