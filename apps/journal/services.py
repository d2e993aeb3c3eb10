"""Writing the journal (inside the caller's transaction)."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection

from apps.core.bulk import bound_cursor

from .models import AccessLogEntry, JournalEntry


def journal_entry(
    *,
    record_type: str,
    record_id: uuid.UUID,
    change: str,
    version: int = 0,
    grid_id: uuid.UUID | None = None,
    previous_grid_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    merged_into: uuid.UUID | None = None,
    actor: Any = None,
) -> JournalEntry:
    """One entry, unsaved (``journal_record`` saves one; a batch inserts many at once)."""
    actor_pk = getattr(actor, "pk", None)
    return JournalEntry(
        record_type=record_type,
        record_id=record_id,
        change=change,
        version=version,
        grid_id=grid_id,
        previous_grid_id=previous_grid_id if previous_grid_id != grid_id else None,
        fields=sorted(set(fields)),
        merged_into=merged_into,
        actor_id=actor_pk if isinstance(actor_pk, uuid.UUID) else None,
    )


def journal_record(
    *, record_type: str, record_id: uuid.UUID, change: str, version: int = 0, grid_id: uuid.UUID | None = None,
    previous_grid_id: uuid.UUID | None = None, fields: Iterable[str] = (), merged_into: uuid.UUID | None = None,
    actor: Any = None,
) -> JournalEntry:  # fmt: skip
    """Append one entry. Call it inside the transaction that makes the change, so both commit or neither.

    One prepared statement (every write of gridapi journals: the model's ``save()`` built the same INSERT in
    Python each time, a fifth of a patrol chunk's own work); the database fills ``txid`` and ``at``.
    """
    row = journal_entry(
        record_type=record_type, record_id=record_id, change=change, version=version, grid_id=grid_id,
        previous_grid_id=previous_grid_id, fields=fields, merged_into=merged_into, actor=actor,
    )  # fmt: skip
    with bound_cursor() as cursor:
        cursor.execute(_INSERT_ONE, [row.record_type, row.record_id, row.version, row.change, row.grid_id,
                                     row.previous_grid_id, row.fields, row.merged_into, row.actor_id])  # fmt: skip
        row.id, row.txid, row.at = cursor.fetchone()
    row._state.adding, row._state.db = False, connection.alias
    return row


_INSERT_ONE = (
    f"INSERT INTO {JournalEntry._meta.db_table} (record_type, record_id, version, change, grid_id, "  # noqa: S608 - the model's table
    "previous_grid_id, fields, merged_into, actor_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s::varchar[], %s, %s) RETURNING id, txid, at"
)


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One record's part in a read (``access_log`` groups them into ``AccessLogEntry`` rows)."""

    channel: str
    record_type: str
    record_id: Any
    fields: list[str]
    user_id: uuid.UUID | None
    department_id: Any
    subscription_id: Any
    purpose: str


def access_entry(
    *,
    channel: str,
    record_type: str,
    record_id: Any,
    fields: Iterable[str],
    user: Any = None,
    department_id: Any = None,
    subscription_id: Any = None,
    purpose: str = "",
) -> "AccessRecord":
    """What a read revealed of one record (callers write a read's records at once with ``access_log``)."""
    user_pk = getattr(user, "pk", None)
    return AccessRecord(
        channel=channel, record_type=record_type, record_id=record_id, fields=sorted(set(fields)),
        user_id=user_pk if isinstance(user_pk, uuid.UUID) else None,
        department_id=department_id or getattr(user, "department_id", None), subscription_id=subscription_id,
        purpose=purpose[:300],
    )  # fmt: skip


def access_log(entries: Iterable[AccessRecord]) -> None:
    """Write the access log of one read: one row per reader, purpose and set of fields revealed, in one statement.

    A pull or feed page reveals the same few sets of fields for hundreds of records; a row per record made
    the log the largest cost of such a page (each row is a heap tuple and four index entries).
    """
    groups: dict[tuple[Any, ...], list[str]] = {}
    for entry in entries:
        key = (entry.user_id, entry.department_id, entry.subscription_id, entry.purpose, entry.channel,
               entry.record_type, tuple(entry.fields))  # fmt: skip
        groups.setdefault(key, []).append(str(entry.record_id))
    _insert_access_rows([(*key, record_ids) for key, record_ids in groups.items()])


def access_log_reads(
    *,
    channel: str,
    reads: Mapping[tuple[str, tuple[str, ...]], list[str]],
    user: Any = None,
    department_id: Any = None,
    subscription_id: Any = None,
    purpose: str = "",
) -> None:
    """Write the access log of one read already grouped: (record type, fields revealed) → record ids (text).

    The reader is ``user`` (a device's pull) or a department through ``subscription_id`` for ``purpose`` (a
    feed). For pages of a thousand records: no per-record object on the way (see ``access_log``).
    """
    user_pk = getattr(user, "pk", None)
    user_id = user_pk if isinstance(user_pk, uuid.UUID) else None
    department = department_id or getattr(user, "department_id", None)
    _insert_access_rows([
        (user_id, department, subscription_id, purpose[:300], channel, record_type, tuple(sorted(fields)),
         record_ids)
        for (record_type, fields), record_ids in reads.items()
    ])  # fmt: skip


ACCESS_COLUMNS = ["user_id", "department_id", "subscription_id", "purpose", "channel", "record_type", "fields",
                  "record_ids"]  # fmt: skip


def _insert_access_rows(rows: list[tuple[Any, ...]]) -> None:
    """Insert access-log rows (values in ``ACCESS_COLUMNS`` order, record ids as text) in one statement.

    The ids travel as one binary text array per row, converted by PostgreSQL: Django's array field makes
    and quotes a ``UUID`` per id, which cost as much as the rest of a pull page's log.
    """
    if not rows:
        return
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    columns = {field.name: field.column for field in AccessLogEntry._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(columns[name]) for name in ACCESS_COLUMNS)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s::text[], %b::text[]::uuid[])"] * len(rows))
    params = [value for row in rows for value in (*row[:6], list(row[6]), list(row[7]))]
    with bound_cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}", params)  # noqa: S608 - names from the model
