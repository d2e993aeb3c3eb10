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

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core import signing
from django.db.models import F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import APIException

from apps.core.crypto import unseal
from apps.events.models import Event
from apps.journal.models import AccessChannel
from apps.journal.selectors import Position, entries_after, journal_horizon
from apps.journal.services import access_entry, access_log
from apps.registry.models import Building, Person, RecordAlias, RecordType, Residence
from apps.territory.selectors import grids_visible_to

from .models import ConflictItem

EVENT = "event"
TYPES = [RecordType.BUILDING.value, RecordType.PERSON.value, RecordType.RESIDENCE.value, EVENT]
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
    scope_version: int = 0

    def encode(self) -> str:
        return signing.dumps(asdict(self), salt=CURSOR_SALT, compress=True)

    @classmethod
    def decode(cls, token: str, *, owner: str) -> "Cursor":
        try:
            data = signing.loads(token, salt=CURSOR_SALT, max_age=CURSOR_MAX_AGE)
            cursor = cls(**data)
        except (signing.BadSignature, TypeError, ValueError) as exc:
            raise CursorGone() from exc
        if cursor.user != owner:
            raise CursorGone()
        return cursor


def _coordinates() -> dict[str, Any]:
    """Longitude and latitude computed by PostGIS: no geometry objects on the hot path."""
    return {
        "lon": Func(F("location"), function="ST_X", output_field=FloatField()),
        "lat": Func(F("location"), function="ST_Y", output_field=FloatField()),
    }


BUILDING_FIELDS = ["id", "version", "address", "address_code", "name", "use", "floors",
                   "landlord_id", "grid_id", "merged_into_id"]  # fmt: skip
PERSON_FIELDS = ["id", "version", "name", "gender", "birth_date", "id_number_sealed", "phone_sealed",
                 "passport_sealed", "household_type", "tags", "grid_id", "merged_into_id"]  # fmt: skip
EVENT_FIELDS = ["id", "version", "category_id", "title", "description", "status", "level",
                "department__code", "grid_id", "building_id", "person_ids", "photos", "priority", "report_count",
                "occurred_at", "reported_at", "reporter_id", "sign_by", "handle_by", "overdue", "suspended_at",
                "self_resolved", "rating", "merged_into_id"]  # fmt: skip
RESIDENCE_FIELDS = [
    "id",
    "version",
    "person_id",
    "building_id",
    "room",
    "relation",
    "since",
    "until",
]


def _updated() -> dict[str, Any]:
    """``updated_at`` as ISO 8601 text in UTC, written by PostgreSQL: loading a timestamp and formatting it
    again is the largest cost of a page after the query itself."""
    utc = Func(Value("UTC"), F("updated_at"), function="timezone")
    iso = Func(utc, Value('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), function="to_char", output_field=TextField())
    return {"updated": iso}


def _rows(kind: str, queryset: Any) -> Any:
    """Plain rows of what a pull sends, in one query."""
    if kind == RecordType.BUILDING:
        geometry = {**_coordinates(), "footprint_json": AsGeoJSON("footprint", precision=7)}
        return queryset.annotate(**geometry, **_updated()).values(*BUILDING_FIELDS, "lon", "lat", "footprint_json",
                                                                  "updated")  # fmt: skip
    if kind == RecordType.PERSON:
        return queryset.annotate(**_coordinates(), **_updated()).values(
            *PERSON_FIELDS, "lon", "lat", "updated"
        )
    if kind == EVENT:
        return queryset.annotate(**_coordinates(), **_updated()).values(
            *EVENT_FIELDS, "lon", "lat", "updated"
        )
    return queryset.annotate(grid_id=F("building__grid_id"), **_updated()).values(
        *RESIDENCE_FIELDS, "grid_id", "updated"
    )


def _plain(value: Any) -> Any:
    return (
        value.isoformat()
        if isinstance(value, dt.date)
        else (str(value) if isinstance(value, uuid.UUID) else value)
    )


def _instant(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _geometry(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("lon") is None:
        return None
    return {"type": "Point", "coordinates": [round(row["lon"], 7), round(row["lat"], 7)]}


def _record(kind: str, row: dict[str, Any], grid_codes: dict[Any, str]) -> dict[str, Any]:
    base = {"type": kind, "id": str(row["id"]), "version": row["version"], "updated_at": row["updated"],
            "deleted": False}  # fmt: skip
    if kind == RecordType.BUILDING:
        data = {
            "address": row["address"], "address_code": row["address_code"], "name": row["name"], "use": row["use"],
            "floors": row["floors"], "footprint": json.loads(row["footprint_json"]) if row["footprint_json"] else None,
            "landlord_id": _plain(row["landlord_id"]), "grid": grid_codes.get(row["grid_id"]),
        }  # fmt: skip
        return {**base, "geometry": _geometry(row), "data": data}
    if kind == RecordType.PERSON:
        data = {
            "name": row["name"], "gender": row["gender"], "birth_date": _plain(row["birth_date"]),
            "id_number": unseal(row["id_number_sealed"]) if row["id_number_sealed"] else None,
            "phone": unseal(row["phone_sealed"]) if row["phone_sealed"] else None,
            "passport_number": unseal(row["passport_sealed"]) if row["passport_sealed"] else None,
            "household_type": row["household_type"], "tags": row["tags"], "grid": grid_codes.get(row["grid_id"]),
        }  # fmt: skip
        return {**base, "geometry": _geometry(row), "data": data}
    if kind == EVENT:
        data = {
            "category": row["category_id"], "title": row["title"], "description": row["description"],
            "status": row["status"], "level": row["level"], "department": row["department__code"],
            "building_id": _plain(row["building_id"]), "person_ids": [str(p) for p in row["person_ids"]],
            "photos": row["photos"], "priority": row["priority"], "report_count": row["report_count"],
            "occurred_at": _instant(row["occurred_at"]), "reported_at": _instant(row["reported_at"]),
            "reporter_id": _plain(row["reporter_id"]), "sign_by": _instant(row["sign_by"]),
            "handle_by": _instant(row["handle_by"]), "overdue": row["overdue"],
            "suspended": row["suspended_at"] is not None, "self_resolved": row["self_resolved"],
            "rating": row["rating"], "grid": grid_codes.get(row["grid_id"]),
        }  # fmt: skip
        return {**base, "geometry": _geometry(row), "data": data}
    data = {
        "person_id": str(row["person_id"]), "building_id": str(row["building_id"]), "room": row["room"],
        "relation": row["relation"], "since": _plain(row["since"]), "until": _plain(row["until"]),
    }  # fmt: skip
    return {**base, "geometry": None, "data": data}


def _tombstone(kind: str, record_id: Any, reason: str, merged_into: Any = None) -> dict[str, Any]:
    stone = {"type": kind, "id": str(record_id), "deleted": True, "reason": reason}
    if merged_into is not None:
        stone["merged_into"] = str(merged_into)
    return stone


def _any_of(ids: list[Any]) -> RawSQL:
    """``ids`` as one array parameter: a thousand placeholders cost more to bind than the query to run."""
    return RawSQL("SELECT unnest(%s::uuid[])", [[uuid.UUID(str(i)) for i in ids]])


def _load(kind: str, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    models: dict[str, Any] = {
        RecordType.BUILDING: Building,
        RecordType.PERSON: Person,
        RecordType.RESIDENCE: Residence,
        EVENT: Event,
    }
    model = models[kind]
    return {row["id"]: row for row in _rows(kind, model.objects.filter(pk__in=_any_of(ids)))}


def record_envelope(kind: str, record_id: Any, grid_codes: dict[Any, str]) -> dict[str, Any] | None:
    """The current state of one canonical record in the pull's envelope (None if absent or merged)."""
    row = _load(kind, [record_id]).get(record_id)
    if row is None or row.get("merged_into_id"):
        return None
    return _record(kind, row, grid_codes)


def _canonical(ids: list[Any]) -> dict[Any, Any]:
    return dict(RecordAlias.objects.filter(alias__in=_any_of(ids)).values_list("alias", "canonical_id"))


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
        elif kind == EVENT:
            queryset = Event.objects.filter(Q(grid_id__in=grids) | Q(reporter_id=uuid.UUID(cursor.user)))
        else:
            model = Building if kind == RecordType.BUILDING else Person
            queryset = model.objects.filter(grid_id__in=grids, merged_into__isnull=True)
        if cursor.snapshot_after:
            queryset = queryset.filter(pk__gt=cursor.snapshot_after)
        rows = list(_rows(kind, queryset.order_by("pk"))[:room])
        changes += [_record(kind, row, grid_codes) for row in rows]
        room -= len(rows)
        if len(rows) and room == 0:
            cursor.snapshot_after = str(rows[-1]["id"])
        else:
            cursor.snapshot_type, cursor.snapshot_after = cursor.snapshot_type + 1, None
    if cursor.snapshot_type >= len(TYPES):
        cursor.snapshot, cursor.snapshot_grids, cursor.snapshot_type = False, [], 0
    return changes


def _leaving(removed: list[str], types: list[str], user_id: str) -> list[dict[str, Any]]:
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
    if EVENT in types:
        stones += [
            _tombstone(EVENT, pk, "out_of_scope")
            for pk in Event.objects.filter(grid_id__in=removed)
            .exclude(reporter_id=uuid.UUID(user_id))
            .values_list("pk", flat=True)
        ]
    return stones


def _changes_page(
    cursor: Cursor, types: list[str], limit: int, grid_codes: dict[Any, str]
) -> tuple[list[dict[str, Any]], bool]:
    """Changes after the cursor's journal position, each record once, in its latest state."""
    cap = limit * 4
    scope = Q(grid_id__in=cursor.grids) | Q(previous_grid_id__in=cursor.grids)
    if EVENT in types:  # the user's own reports follow them wherever they lie
        scope |= Q(
            record_type=EVENT,
            record_id__in=Event.objects.filter(reporter_id=uuid.UUID(cursor.user)).values("pk"),
        )
    scope &= Q(record_type__in=types)
    # Positions and records only: loading whole entries (their timestamps) cost more than the records' rows.
    entries = list(
        entries_after(
            Position(cursor.txid, cursor.id), horizon=journal_horizon(), limit=cap, scope=scope
        ).values_list("record_type", "record_id", "txid", "id")
    )
    touched: dict[tuple[str, Any], None] = {}
    for record_type, record_id, txid, entry_id in entries:
        touched.setdefault((record_type, record_id), None)
        if len(touched) >= limit:
            cursor.txid, cursor.id = txid, entry_id
            break
    else:
        if entries:
            cursor.txid, cursor.id = entries[-1][2], entries[-1][3]
    has_more = len(touched) >= limit or len(entries) == cap
    changes: list[dict[str, Any]] = []
    grids = set(cursor.grids)
    for kind in types:
        ids = [record_id for (k, record_id) in touched if k == kind]
        if not ids:
            continue
        rows = _load(kind, ids)
        merged = [row["id"] for row in rows.values() if row.get("merged_into_id")]
        canonical = _canonical(merged) if merged else {}
        for record_id in ids:
            row = rows.get(record_id)
            if row is None:
                changes.append(_tombstone(kind, record_id, "deleted"))
            elif row.get("merged_into_id"):
                changes.append(
                    _tombstone(kind, record_id, "merged", canonical.get(row["id"], row["merged_into_id"]))
                )
            elif str(row["grid_id"]) not in grids and str(row.get("reporter_id")) != cursor.user:
                changes.append(_tombstone(kind, record_id, "out_of_scope"))
            else:
                changes.append(_record(kind, row, grid_codes))
    return changes, has_more


def sync_pull(*, user: Any, token: str | None, limit: int, types: list[str]) -> dict[str, Any]:
    """One page of the device's pull (see the sync protocol)."""
    scope = {str(pk): code for pk, code in grids_visible_to(user).values_list("pk", "code")}
    page = scoped_pull(owner=str(user.pk), scope=scope, token=token, limit=limit, types=types)
    access_log(
        access_entry(
            channel=AccessChannel.PULL,
            record_type=change["type"],
            record_id=change["id"],
            fields=fields,
            user=user,
        )
        for change in page["changes"]
        if (fields := _revealed(change))
    )
    return page


def _revealed(change: dict[str, Any]) -> list[str]:
    """The sensitive and special fields a device receives in full in ``change`` (for the access log)."""
    if change.get("deleted") or change["type"] not in {RecordType.PERSON, RecordType.RESIDENCE}:
        return []
    data = change["data"]
    if change["type"] == RecordType.RESIDENCE:
        return ["room"] if data.get("room") else []
    fields = [name for name in ("id_number", "phone", "passport_number", "tags") if data.get(name)]
    return fields + (["location"] if change.get("geometry") else [])


def scoped_pull(
    *,
    owner: str,
    scope: dict[str, str],
    token: str | None,
    limit: int,
    types: list[str],
    scope_version: int = 0,
) -> dict[str, Any]:
    """One page of the changes of the records in the grids ``scope`` (grid id → code), for ``owner``.

    The engine of device pulls and department feeds. ``owner`` binds the cursor (a user id for a device);
    when ``scope_version`` differs from the cursor's (a department's grant changed), the whole scope is
    sent again as a snapshot, in its new shape.
    """
    grid_codes = {uuid.UUID(pk): code for pk, code in scope.items()}
    if token is None:
        horizon = journal_horizon()
        cursor = Cursor(user=owner, txid=horizon - 1, id=AFTER_ALL, grids=sorted(scope), snapshot=True,
                        snapshot_grids=sorted(scope), scope_version=scope_version)  # fmt: skip
    else:
        cursor = Cursor.decode(token, owner=owner)
    changes: list[dict[str, Any]] = []
    if not cursor.snapshot:
        removed = sorted(set(cursor.grids) - set(scope))
        if removed:
            changes += _leaving(removed, types, cursor.user)
            cursor.grids = sorted(set(cursor.grids) - set(removed))
        if cursor.scope_version != scope_version:
            cursor.grids, cursor.scope_version = [], scope_version
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
        # A grid lost while a snapshot is paged is not read any further; it stays in ``cursor.grids``, so
        # the first changes page after the snapshot sends its out_of_scope tombstones.
        cursor.snapshot_grids = [grid for grid in cursor.snapshot_grids if grid in scope]
        changes += _snapshot_page(cursor, types, max(limit - len(changes), 1), grid_codes)
        has_more = True
    else:
        page, has_more = _changes_page(cursor, types, max(limit - len(changes), 1), grid_codes)
        changes += page
    return {"changes": changes, "cursor": cursor.encode(), "has_more": has_more}


def conflicts_for(user: Any) -> QuerySet[ConflictItem]:
    """Conflict items in the grids of the caller's territory (dispatchers and administrators)."""
    return ConflictItem.objects.filter(grid_id__in=grids_visible_to(user).values("pk"))
