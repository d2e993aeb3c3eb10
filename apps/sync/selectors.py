"""Pull: what a device receives — a consistent snapshot of its scope, then every change after it.

The cursor is opaque to the device and signed by the server. It holds the journal position (see
``apps.journal.selectors``), the grids the device's scope covered at that position, and, while a snapshot
is being paged, where the snapshot stands. When grids leave the scope the next pull sends ``out_of_scope``
tombstones for their records; when grids join, their records are sent as a snapshot before the changes go on.
"""

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Q
from rest_framework.exceptions import APIException

from apps.core.crypto import unseal
from apps.journal.selectors import Position, entries_after, journal_horizon
from apps.registry.models import Building, Person, RecordAlias, RecordType, Residence
from apps.territory.selectors import grids_visible_to

TYPES = [RecordType.BUILDING.value, RecordType.PERSON.value, RecordType.RESIDENCE.value]
CURSOR_SALT = "gridapi.sync.pull-cursor"
CURSOR_MAX_AGE = dt.timedelta(days=60)  # the protocol promises at least 30
AFTER_ALL = 2**62


class CursorGone(APIException):
    status_code = 410
    default_detail = "This cursor has expired or belongs to someone else; pull again without a cursor."
    default_code = "cursor_gone"


@dataclass
class Cursor:
    user: str
    txid: int
    id: int
    grids: list[str]
    snapshot: bool = False
    snapshot_grids: list[str] = field(default_factory=list)
    snapshot_type: int = 0
    snapshot_after: str | None = None

    def encode(self) -> str:
        return signing.dumps(asdict(self), salt=CURSOR_SALT, compress=True)

    @classmethod
    def decode(cls, token: str, *, user: Any) -> "Cursor":
        try:
            data = signing.loads(token, salt=CURSOR_SALT, max_age=CURSOR_MAX_AGE)
            cursor = cls(**data)
        except (signing.BadSignature, TypeError, ValueError) as exc:
            raise CursorGone() from exc
        if cursor.user != str(user.pk):
            raise CursorGone()
        return cursor


def _point(value: Any) -> dict[str, Any] | None:
    return json.loads(value.geojson) if value is not None else None


def _plain(value: Any) -> Any:
    return (
        value.isoformat()
        if isinstance(value, dt.date)
        else (str(value) if isinstance(value, uuid.UUID) else value)
    )


def _record(kind: str, record: Any, grid_codes: dict[Any, str]) -> dict[str, Any]:
    base = {"type": kind, "id": str(record.pk), "version": record.version, "updated_at": record.updated_at.isoformat(),
            "deleted": False}  # fmt: skip
    if kind == RecordType.BUILDING:
        data = {
            "address": record.address, "address_code": record.address_code, "name": record.name, "use": record.use,
            "floors": record.floors, "footprint": _point(record.footprint), "landlord_id": _plain(record.landlord_id),
            "grid": grid_codes.get(record.grid_id),
        }  # fmt: skip
        return {**base, "geometry": _point(record.location), "data": data}
    if kind == RecordType.PERSON:
        data = {
            "name": record.name, "gender": record.gender, "birth_date": _plain(record.birth_date),
            "id_number": unseal(record.id_number_sealed) if record.id_number_sealed else None,
            "phone": unseal(record.phone_sealed) if record.phone_sealed else None,
            "passport_number": unseal(record.passport_sealed) if record.passport_sealed else None,
            "household_type": record.household_type, "tags": record.tags, "grid": grid_codes.get(record.grid_id),
        }  # fmt: skip
        return {**base, "geometry": _point(record.location), "data": data}
    data = {
        "person_id": str(record.person_id), "building_id": str(record.building_id), "room": record.room,
        "relation": record.relation, "since": _plain(record.since), "until": _plain(record.until),
    }  # fmt: skip
    return {**base, "geometry": None, "data": data}


def _tombstone(kind: str, record_id: Any, reason: str, merged_into: Any = None) -> dict[str, Any]:
    stone = {"type": kind, "id": str(record_id), "deleted": True, "reason": reason}
    if merged_into is not None:
        stone["merged_into"] = str(merged_into)
    return stone


def _grid_of(kind: str, record: Any) -> Any:
    return record.building.grid_id if kind == RecordType.RESIDENCE else record.grid_id


def _load(kind: str, ids: list[Any]) -> dict[Any, Any]:
    if kind == RecordType.BUILDING:
        return Building.objects.in_bulk(ids)
    if kind == RecordType.PERSON:
        return Person.objects.in_bulk(ids)
    return Residence.objects.select_related("building").in_bulk(ids)


def _canonical(ids: list[Any]) -> dict[Any, Any]:
    return dict(RecordAlias.objects.filter(alias__in=ids).values_list("alias", "canonical_id"))


def _snapshot_page(
    cursor: Cursor, types: list[str], room: int, grid_codes: dict[Any, str]
) -> list[dict[str, Any]]:
    """Current records of ``cursor.snapshot_grids``, type by type, in id order; advances the cursor."""
    changes: list[dict[str, Any]] = []
    grids = cursor.snapshot_grids
    while room > 0 and cursor.snapshot_type < len(TYPES):
        kind = TYPES[cursor.snapshot_type]
        if kind not in types:
            cursor.snapshot_type, cursor.snapshot_after = cursor.snapshot_type + 1, None
            continue
        if kind == RecordType.RESIDENCE:
            queryset: Any = Residence.objects.filter(
                building__grid_id__in=grids, until__isnull=True
            ).select_related("building")
        else:
            model = Building if kind == RecordType.BUILDING else Person
            queryset = model.objects.filter(grid_id__in=grids, merged_into__isnull=True)
        if cursor.snapshot_after:
            queryset = queryset.filter(pk__gt=cursor.snapshot_after)
        rows = list(queryset.order_by("pk")[:room])
        changes += [_record(kind, row, grid_codes) for row in rows]
        room -= len(rows)
        if len(rows) and room == 0:
            cursor.snapshot_after = str(rows[-1].pk)
        else:
            cursor.snapshot_type, cursor.snapshot_after = cursor.snapshot_type + 1, None
    if cursor.snapshot_type >= len(TYPES):
        cursor.snapshot, cursor.snapshot_grids, cursor.snapshot_type = False, [], 0
    return changes


def _leaving(removed: list[str], types: list[str]) -> list[dict[str, Any]]:
    """Tombstones for every record of grids that left the scope."""
    stones = []
    if RecordType.BUILDING in types:
        stones += [
            _tombstone("building", pk, "out_of_scope")
            for pk in Building.objects.filter(grid_id__in=removed).values_list("pk", flat=True)
        ]
    if RecordType.PERSON in types:
        stones += [
            _tombstone("person", pk, "out_of_scope")
            for pk in Person.objects.filter(grid_id__in=removed).values_list("pk", flat=True)
        ]
    if RecordType.RESIDENCE in types:
        stones += [
            _tombstone("residence", pk, "out_of_scope")
            for pk in Residence.objects.filter(building__grid_id__in=removed).values_list("pk", flat=True)
        ]
    return stones


def _changes_page(
    cursor: Cursor, types: list[str], limit: int, grid_codes: dict[Any, str]
) -> tuple[list[dict[str, Any]], bool]:
    """Changes after the cursor's journal position, each record once, in its latest state."""
    cap = limit * 4
    scope = (Q(grid_id__in=cursor.grids) | Q(previous_grid_id__in=cursor.grids)) & Q(record_type__in=types)
    entries = list(
        entries_after(Position(cursor.txid, cursor.id), horizon=journal_horizon(), limit=cap, scope=scope)
    )
    touched: dict[tuple[str, Any], None] = {}
    for entry in entries:
        touched.setdefault((entry.record_type, entry.record_id), None)
        if len(touched) >= limit:
            cursor.txid, cursor.id = entry.txid, entry.id
            break
    else:
        if entries:
            cursor.txid, cursor.id = entries[-1].txid, entries[-1].id
    has_more = len(touched) >= limit or len(entries) == cap
    changes: list[dict[str, Any]] = []
    grids = set(cursor.grids)
    for kind in types:
        ids = [record_id for (k, record_id) in touched if k == kind]
        if not ids:
            continue
        rows = _load(kind, ids)
        merged = [row.pk for row in rows.values() if getattr(row, "merged_into_id", None)]
        canonical = _canonical(merged) if merged else {}
        for record_id in ids:
            row = rows.get(record_id)
            if row is None:
                changes.append(_tombstone(kind, record_id, "deleted"))
            elif getattr(row, "merged_into_id", None):
                changes.append(
                    _tombstone(kind, record_id, "merged", canonical.get(row.pk, row.merged_into_id))
                )
            elif str(_grid_of(kind, row)) not in grids:
                changes.append(_tombstone(kind, record_id, "out_of_scope"))
            else:
                changes.append(_record(kind, row, grid_codes))
    return changes, has_more


def sync_pull(*, user: Any, token: str | None, limit: int, types: list[str]) -> dict[str, Any]:
    """One page of the device's pull (see the sync protocol)."""
    scope = {str(pk): code for pk, code in grids_visible_to(user).values_list("pk", "code")}
    grid_codes = {uuid.UUID(pk): code for pk, code in scope.items()}
    if token is None:
        horizon = journal_horizon()
        cursor = Cursor(user=str(user.pk), txid=horizon - 1, id=AFTER_ALL, grids=sorted(scope), snapshot=True,
                        snapshot_grids=sorted(scope))  # fmt: skip
    else:
        cursor = Cursor.decode(token, user=user)
    changes: list[dict[str, Any]] = []
    if not cursor.snapshot:
        removed = sorted(set(cursor.grids) - set(scope))
        if removed:
            changes += _leaving(removed, types)
            cursor.grids = sorted(set(cursor.grids) - set(removed))
        added = sorted(set(scope) - set(cursor.grids))
        if added:
            cursor.grids = sorted(set(cursor.grids) | set(added))
            cursor.snapshot, cursor.snapshot_grids, cursor.snapshot_type, cursor.snapshot_after = (
                True,
                added,
                0,
                None,
            )
    has_more = False
    if cursor.snapshot:
        changes += _snapshot_page(cursor, types, max(limit - len(changes), 1), grid_codes)
        has_more = True
    else:
        page, has_more = _changes_page(cursor, types, max(limit - len(changes), 1), grid_codes)
        changes += page
    return {"changes": changes, "cursor": cursor.encode(), "has_more": has_more}
