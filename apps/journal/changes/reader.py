"""The scoped change reader: a consistent snapshot of a scope of grids, then every change after it."""

import uuid
from typing import Any

from django.db.models import Q

from apps.core.crypto import unsealer

from ..selectors import Position, entries_after, journal_horizon
from .columns import GRID, ID, MERGED_INTO, OWNER, any_of, text, tombstone
from .cursor import AFTER_ALL, Cursor
from .sources import ChangeSource, change_source, change_sources


def _rows(source: ChangeSource, queryset: Any) -> Any:
    """Plain tuples of what a page sends, in one query (see ``columns.py``)."""
    return queryset.values_list(*source.columns())


def _load(source: ChangeSource, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """The rows of the records ``ids`` (text) of one source, by id."""
    queryset = source.model._default_manager.filter(pk__in=any_of(ids))
    return {row[ID]: row for row in _rows(source, queryset)}


def _in_grids(source: ChangeSource, grids: list[str]) -> Q:
    return Q(**{f"{source.grid_field}__in": grids})


def _user_id(owner: str) -> uuid.UUID | None:
    """The user a cursor belongs to, or None for another owner (a department's feed)."""
    try:
        return uuid.UUID(owner)
    except ValueError:
        return None


def record_envelope(kind: str, record_id: Any, grid_codes: dict[str, str]) -> dict[str, Any] | None:
    """The current state of one canonical record in the change envelope (None if absent or merged).

    ``grid_codes`` maps grid ids (text) to codes: the envelope names a grid only when it is one of them.
    """
    source = change_source(kind)
    row = _load(source, [str(record_id)]).get(str(record_id))
    if row is None or row[MERGED_INTO]:
        return None
    return source.envelope(row, grid_codes, unsealer())


def record_in_grids(kind: str, record_id: Any, grids: list[str]) -> bool:
    """Whether the record lies in one of ``grids`` now."""
    source = change_source(kind)
    return source.model._default_manager.filter(_in_grids(source, grids), pk=record_id).exists()


def _snapshot_page(
    cursor: Cursor, types: list[str], room: int, grid_codes: dict[str, str]
) -> list[dict[str, Any]]:
    """Current records of ``cursor.snapshot_grids``, type by type, in id order; advances the cursor."""
    changes: list[dict[str, Any]] = []
    grids = cursor.snapshot_grids
    owner = _user_id(cursor.user)
    pending = [s for s in change_sources() if s.order >= cursor.snapshot_type]
    for source in pending:
        if room <= 0:
            break
        if source.order > cursor.snapshot_type:
            cursor.snapshot_type, cursor.snapshot_after = source.order, None
        if source.kind not in types:
            cursor.snapshot_type, cursor.snapshot_after = source.order + 1, None
            continue
        where = _in_grids(source, grids)
        if source.owner_field and owner is not None:
            where |= Q(**{source.owner_field: owner})
        queryset = source.model._default_manager.filter(where, source.live)
        if cursor.snapshot_after:
            queryset = queryset.filter(pk__gt=cursor.snapshot_after)
        rows = list(_rows(source, queryset.order_by("pk"))[:room])
        open_sealed = unsealer()
        changes += [source.envelope(row, grid_codes, open_sealed) for row in rows]
        room -= len(rows)
        if len(rows) and room == 0:
            cursor.snapshot_after = rows[-1][ID]
            return changes
        cursor.snapshot_type, cursor.snapshot_after = source.order + 1, None
    if not [s for s in change_sources() if s.order >= cursor.snapshot_type]:
        cursor.snapshot, cursor.snapshot_grids, cursor.snapshot_type = False, [], 0
    return changes


def _leaving(removed: list[str], types: list[str], owner: str) -> list[dict[str, Any]]:
    """Tombstones for every record of the grids ``removed`` from the scope."""
    stones = []
    user = _user_id(owner)
    for source in change_sources():
        if source.kind not in types:
            continue
        queryset = source.model._default_manager.filter(_in_grids(source, removed))
        if source.owner_field and user is not None:  # a device keeps its user's own records wherever they lie
            queryset = queryset.exclude(**{source.owner_field: user})
        stones += [tombstone(source.kind, pk, "out_of_scope") for pk in queryset.values_list("pk", flat=True)]
    return stones


def _changes_page(
    cursor: Cursor, types: list[str], limit: int, grid_codes: dict[str, str]
) -> tuple[list[dict[str, Any]], bool]:
    """Changes after the cursor's journal position, each record once, in its latest state."""
    cap = limit * 4
    scope = Q(grid_id__in=cursor.grids) | Q(previous_grid_id__in=cursor.grids)
    owner = _user_id(cursor.user)
    sources = [change_source(kind) for kind in types]
    for source in sources:
        if source.owner_field and owner is not None:  # the user's own records follow them wherever they lie
            mine = source.model._default_manager.filter(**{source.owner_field: owner}).values("pk")
            scope |= Q(record_type=source.kind, record_id__in=mine)
    scope &= Q(record_type__in=types)
    # Positions and records only: loading whole entries (their timestamps) cost more than the records' rows.
    entries = list(
        entries_after(
            Position(cursor.txid, cursor.id), horizon=journal_horizon(), limit=cap, scope=scope
        ).values_list("record_type", text("record_id"), "txid", "id")
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
    for source in sources:
        ids = [record_id for (k, record_id) in touched if k == source.kind]
        if not ids:
            continue
        rows = _load(source, ids)
        merged = [row[ID] for row in rows.values() if row[MERGED_INTO]]
        canonical = source.canonical(merged) if merged and source.canonical else {}
        open_sealed = unsealer()
        for record_id in ids:
            row = rows.get(record_id)
            if row is None:
                changes.append(tombstone(source.kind, record_id, "deleted"))
            elif row[MERGED_INTO]:
                into = canonical.get(record_id, row[MERGED_INTO])
                changes.append(tombstone(source.kind, record_id, "merged", into))
            elif row[GRID] not in grids and row[OWNER] != cursor.user:
                changes.append(tombstone(source.kind, record_id, "out_of_scope"))
            else:
                changes.append(source.envelope(row, grid_codes, open_sealed))
    return changes, has_more


def start_cursor(*, owner: str, grids: list[str], scope_version: int = 0) -> Cursor:
    """A cursor at "now" over ``grids``: what it reads are the changes from here on, no snapshot."""
    return Cursor(user=owner, txid=journal_horizon() - 1, id=AFTER_ALL, grids=sorted(grids),
                  scope_version=scope_version)  # fmt: skip


def scoped_changes(
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
        cursor = start_cursor(owner=owner, grids=list(scope), scope_version=scope_version)
        cursor.snapshot, cursor.snapshot_grids, cursor.types = True, sorted(scope), list(types)
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
            cursor.snapshot, cursor.snapshot_grids = True, added
            cursor.snapshot_type, cursor.snapshot_after = 0, None
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
