"""Pull: what a device receives — a consistent snapshot of its scope, then every change after it.

The cursor is opaque to the device and signed by the server. It holds the journal position (see
``apps.journal.selectors``), the grids the device's scope covered at that position, and, while a snapshot
is being paged, where the snapshot stands. When grids leave the scope the next pull sends ``out_of_scope``
tombstones for their records; when grids join, their records are sent as a snapshot before the changes go on.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core import signing
from django.db.models import F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from rest_framework.exceptions import APIException

from apps.core.crypto import unsealer
from apps.events.models import Event
from apps.journal.models import AccessChannel
from apps.journal.selectors import Position, entries_after, journal_horizon
from apps.journal.services import access_log_reads
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
    # The record types the cursor has sent; None for a cursor made before they were kept (or for a feed's
    # webhook fan-out): then whatever is asked for now.
    types: list[str] | None = None

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


def _coordinates() -> list[Func]:
    """Longitude and latitude computed by PostGIS: no geometry objects on the hot path."""
    return [
        Func(F("location"), function="ST_X", output_field=FloatField()),
        Func(F("location"), function="ST_Y", output_field=FloatField()),
    ]


def _text(name: str) -> Cast:
    """A column as text: ids and dates come back as the strings a page sends, not as objects to format again."""
    return Cast(name, TextField())


def _updated() -> Func:
    """``updated_at`` as ISO 8601 text in UTC, written by PostgreSQL: loading a timestamp and formatting it
    again is the largest cost of a page after the query itself."""
    utc = Func(Value("UTC"), F("updated_at"), function="timezone")
    return Func(
        utc, Value('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), function="to_char", output_field=TextField()
    )


def _day(name: str) -> Func:
    """A date column as ``YYYY-MM-DD`` text (whatever the session's DateStyle)."""
    return Func(F(name), Value("YYYY-MM-DD"), function="to_char", output_field=TextField())


NULL = Value(None, output_field=TextField())
# Every row starts with these columns, in this order; the kind's own columns follow.
ID, MERGED_INTO, GRID, REPORTER = 0, 1, 2, 3


def _columns(kind: str) -> list[Any]:
    """The columns of a pull's rows of ``kind``: the common head (``ID`` … ``REPORTER``, version, updated_at),
    then what ``_record`` unpacks, in its order."""
    if kind == RecordType.RESIDENCE:
        return [_text("id"), NULL, _text("building__grid_id"), NULL, "version", _updated(),
                _text("person_id"), _text("building_id"), "room", "relation", _day("since"), _day("until")]  # fmt: skip
    head = [_text("id"), _text("merged_into_id"), _text("grid_id"), _text("reporter_id") if kind == EVENT else NULL,
            "version", _updated(), *_coordinates()]  # fmt: skip
    if kind == RecordType.BUILDING:
        return [*head, "address", "address_code", "name", "use", "floors", AsGeoJSON("footprint", precision=7),
                _text("landlord_id")]  # fmt: skip
    if kind == RecordType.PERSON:
        return [*head, "name", "gender", _day("birth_date"), "id_number_sealed", "phone_sealed", "passport_sealed",
                "household_type", "tags"]  # fmt: skip
    return [*head, "category_id", "title", "description", "status", "level", "department__code", _text("building_id"),
            "person_ids", "photos", "priority", "report_count", "occurred_at", "reported_at", "sign_by", "handle_by",
            "overdue", "suspended_at", "self_resolved", "rating"]  # fmt: skip


def _rows(kind: str, queryset: Any) -> Any:
    """Plain tuples of what a pull sends, in one query: ids, dates and timestamps as text, coordinates as numbers.

    Making ``uuid.UUID``, ``date`` and ``datetime`` objects only to turn them back into strings, and Django's
    per-row dictionaries and conversions, cost more than the query itself; text columns in tuples skip them.
    """
    return queryset.values_list(*_columns(kind))


def _instant(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    return None if lon is None else {"type": "Point", "coordinates": [round(lon, 7), round(lat or 0.0, 7)]}


def _records(kind: str, rows: Iterable[tuple[Any, ...]], grid_codes: dict[str, str]) -> list[dict[str, Any]]:
    """Envelopes of ``rows`` of one kind, personal numbers decrypted with the keys read once for all of them."""
    open_sealed = unsealer()
    return [_record(kind, row, grid_codes, open_sealed) for row in rows]


def _record(
    kind: str, row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Callable[[str], str]
) -> dict[str, Any]:
    """The pull envelope of one canonical record from its row (see ``_columns``)."""
    if kind == RecordType.PERSON:
        (record_id, _, grid, _, version, updated, lon, lat, name, gender, born, id_number, phone, passport,
         household_type, tags) = row  # fmt: skip
        data = {
            "name": name, "gender": gender, "birth_date": born, "id_number": unseal(id_number) if id_number else None,
            "phone": unseal(phone) if phone else None, "passport_number": unseal(passport) if passport else None,
            "household_type": household_type, "tags": tags, "grid": grid_codes.get(grid),
        }  # fmt: skip
        geometry = _point(lon, lat)
    elif kind == RecordType.BUILDING:
        (record_id, _, grid, _, version, updated, lon, lat, address, address_code, name, use, floors, footprint,
         landlord) = row  # fmt: skip
        data = {
            "address": address, "address_code": address_code, "name": name, "use": use, "floors": floors,
            "footprint": orjson.loads(footprint) if footprint else None, "landlord_id": landlord,
            "grid": grid_codes.get(grid),
        }  # fmt: skip
        geometry = _point(lon, lat)
    elif kind == EVENT:
        (record_id, _, grid, reporter, version, updated, lon, lat, category, title, description, status, level,
         department, building, person_ids, photos, priority, report_count, occurred_at, reported_at, sign_by,
         handle_by, overdue, suspended_at, self_resolved, rating) = row  # fmt: skip
        data = {
            "category": category, "title": title, "description": description, "status": status, "level": level,
            "department": department, "building_id": building, "person_ids": [str(p) for p in person_ids],
            "photos": photos, "priority": priority, "report_count": report_count,
            "occurred_at": _instant(occurred_at), "reported_at": _instant(reported_at), "reporter_id": reporter,
            "sign_by": _instant(sign_by), "handle_by": _instant(handle_by), "overdue": overdue,
            "suspended": suspended_at is not None, "self_resolved": self_resolved, "rating": rating,
            "grid": grid_codes.get(grid),
        }  # fmt: skip
        geometry = _point(lon, lat)
    else:
        record_id, _, _, _, version, updated, person, building, room, relation, since, until = row
        data = {"person_id": person, "building_id": building, "room": room, "relation": relation, "since": since,
                "until": until}  # fmt: skip
        geometry = None
    return {"type": kind, "id": record_id, "version": version, "updated_at": updated, "deleted": False,
            "geometry": geometry, "data": data}  # fmt: skip


def _tombstone(kind: str, record_id: Any, reason: str, merged_into: Any = None) -> dict[str, Any]:
    stone = {"type": kind, "id": str(record_id), "deleted": True, "reason": reason}
    if merged_into is not None:
        stone["merged_into"] = str(merged_into)
    return stone


def _any_of(ids: list[str]) -> RawSQL:
    """``ids`` as one array parameter: a thousand placeholders cost more to bind than the query to run."""
    return RawSQL("SELECT unnest(%s::text[]::uuid[])", [ids])


MODELS: dict[str, Any] = {
    RecordType.BUILDING: Building,
    RecordType.PERSON: Person,
    RecordType.RESIDENCE: Residence,
    EVENT: Event,
}


def _load(kind: str, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """The rows of the records ``ids`` (text) of one kind, by id."""
    return {row[ID]: row for row in _rows(kind, MODELS[kind].objects.filter(pk__in=_any_of(ids)))}


def record_envelope(kind: str, record_id: Any, grid_codes: dict[str, str]) -> dict[str, Any] | None:
    """The current state of one canonical record in the pull's envelope (None if absent or merged).

    ``grid_codes`` maps grid ids (text) to codes: the envelope names a grid only when it is one of them.
    """
    row = _load(kind, [str(record_id)]).get(str(record_id))
    if row is None or row[MERGED_INTO]:
        return None
    return _record(kind, row, grid_codes, unsealer())


def _canonical(ids: list[str]) -> dict[str, str]:
    return {
        str(alias): str(canonical)
        for alias, canonical in RecordAlias.objects.filter(alias__in=_any_of(ids)).values_list(
            "alias", "canonical_id"
        )
    }


def _snapshot_page(
    cursor: Cursor, types: list[str], room: int, grid_codes: dict[str, str]
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
        changes += _records(kind, rows, grid_codes)
        room -= len(rows)
        if len(rows) and room == 0:
            cursor.snapshot_after = rows[-1][ID]
        else:
            cursor.snapshot_type, cursor.snapshot_after = cursor.snapshot_type + 1, None
    if cursor.snapshot_type >= len(TYPES):
        cursor.snapshot, cursor.snapshot_grids, cursor.snapshot_type = False, [], 0
    return changes


def _user_id(owner: str) -> uuid.UUID | None:
    """The user a cursor belongs to, or None for another owner (a department's feed)."""
    try:
        return uuid.UUID(owner)
    except ValueError:
        return None


def _leaving(removed: list[str], types: list[str], user_id: str) -> list[dict[str, Any]]:
    """Tombstones for every record of grids that left the scope."""
    stones = []
    if RecordType.BUILDING in types:
        stones += [
            _tombstone(RecordType.BUILDING, pk, "out_of_scope")
            for pk in Building.objects.filter(grid_id__in=removed).values_list("pk", flat=True)
        ]
    if RecordType.PERSON in types:
        stones += [
            _tombstone(RecordType.PERSON, pk, "out_of_scope")
            for pk in Person.objects.filter(grid_id__in=removed).values_list("pk", flat=True)
        ]
    if RecordType.RESIDENCE in types:
        stones += [
            _tombstone(RecordType.RESIDENCE, pk, "out_of_scope")
            for pk in Residence.objects.filter(building__grid_id__in=removed).values_list("pk", flat=True)
        ]
    if EVENT in types:
        events = Event.objects.filter(grid_id__in=removed)
        if reporter := _user_id(user_id):  # a device keeps its user's own reports wherever they lie
            events = events.exclude(reporter_id=reporter)
        stones += [_tombstone(EVENT, pk, "out_of_scope") for pk in events.values_list("pk", flat=True)]
    return stones


def _changes_page(
    cursor: Cursor, types: list[str], limit: int, grid_codes: dict[str, str]
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
        ).values_list("record_type", _text("record_id"), "txid", "id")
    )
    touched: dict[tuple[str, str], None] = {}
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
        merged = [row[ID] for row in rows.values() if row[MERGED_INTO]]
        canonical = _canonical(merged) if merged else {}
        open_sealed = unsealer()
        for record_id in ids:
            row = rows.get(record_id)
            if row is None:
                changes.append(_tombstone(kind, record_id, "deleted"))
            elif row[MERGED_INTO]:
                changes.append(
                    _tombstone(kind, record_id, "merged", canonical.get(record_id, row[MERGED_INTO]))
                )
            elif row[GRID] not in grids and row[REPORTER] != cursor.user:
                changes.append(_tombstone(kind, record_id, "out_of_scope"))
            else:
                changes.append(_record(kind, row, grid_codes, open_sealed))
    return changes, has_more


def sync_pull(*, user: Any, token: str | None, limit: int, types: list[str]) -> dict[str, Any]:
    """One page of the device's pull (see the sync protocol); what it reveals goes to the access log."""
    scope = {str(pk): code for pk, code in grids_visible_to(user).values_list("pk", "code")}
    page = scoped_pull(owner=str(user.pk), scope=scope, token=token, limit=limit, types=types)
    reads: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for change in page["changes"]:
        if fields := _revealed(change):
            reads.setdefault((change["type"], fields), []).append(change["id"])
    access_log_reads(channel=AccessChannel.PULL, user=user, reads=reads)
    return page


def _revealed(change: dict[str, Any]) -> tuple[str, ...]:
    """The sensitive and special fields a device receives in full in ``change`` (for the access log)."""
    if change.get("deleted") or change["type"] not in {RecordType.PERSON, RecordType.RESIDENCE}:
        return ()
    data = change["data"]
    if change["type"] == RecordType.RESIDENCE:
        return ("room",) if data.get("room") else ()
    fields = tuple(name for name in ("id_number", "phone", "passport_number", "tags") if data.get(name))
    return fields + (("location",) if change.get("geometry") else ())


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
    grid_codes = dict(scope)
    if token is None:
        horizon = journal_horizon()
        cursor = Cursor(user=owner, txid=horizon - 1, id=AFTER_ALL, grids=sorted(scope), snapshot=True,
                        snapshot_grids=sorted(scope), scope_version=scope_version, types=list(types))  # fmt: skip
    else:
        cursor = Cursor.decode(token, owner=owner)
    changes: list[dict[str, Any]] = []
    if not cursor.snapshot:
        removed = sorted(set(cursor.grids) - set(scope))
        if removed:
            changes += _leaving(removed, types, cursor.user)
            cursor.grids = sorted(set(cursor.grids) - set(removed))
        # Types no longer asked for (or granted) leave the scope with every record of them; types newly asked
        # for were never sent: the scope is sent again as a snapshot, as when the grant changes.
        sent = types if cursor.types is None else cursor.types
        dropped = [kind for kind in sent if kind not in types]
        if dropped and cursor.grids:
            changes += _leaving(cursor.grids, dropped, cursor.user)
        if cursor.scope_version != scope_version or set(types) - set(sent):
            cursor.grids, cursor.scope_version = [], scope_version
        cursor.types = list(types)
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
