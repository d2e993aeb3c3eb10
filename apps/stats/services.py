# ruff: noqa: S608 - SQL assembled from this module's constants and model names; values travel as parameters
"""Keeping the indicator rollups in step with the events, incrementally from the journal.

The journal is read with its never-skip cursor (``(txid, id)`` below the oldest running transaction, see
``apps.journal.selectors``). For every event changed since the cursor, the event's old facts are taken
back from the rollups, its facts are computed again from its whole history, and added — one set-based
statement each, in the transaction that moves the cursor. Recomputing from the history makes the step
idempotent and independent of the order changes commit in.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from apps.journal.selectors import Position, entries_after, journal_horizon

from .facts import DAYS, DIMS, facts_sql
from .models import COUNTS, DepartmentRollup, EventFact, GridRollup, RollupCursor

CURSOR = "events"
BATCH = 5_000
# Every txid below the horizon is final: a cursor at (horizon - 1, LAST) is past all of them.
LAST = 2**62

_FACT_COLUMNS = ("event_id", *DIMS, *DAYS, *COUNTS)
_ROLLUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (GridRollup._meta.db_table, (*DIMS, *DAYS)),
    (DepartmentRollup._meta.db_table, ("department_id", *DAYS)),
)


@dataclass(frozen=True)
class AdvanceResult:
    entries: int
    events: int


def _add_to_rollups(source: str, *, sign: str) -> str:
    """Data-modifying CTEs adding (``sign`` "+") or taking back ("-") the facts of ``source`` in every rollup."""
    ctes = []
    for index, (table, key) in enumerate(_ROLLUPS):
        keys = ", ".join(key)
        sums = ", ".join(f"{sign}sum({name})" for name in COUNTS)
        updates = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in COUNTS)
        ctes.append(
            f"r{index} AS (INSERT INTO {table} ({keys}, {', '.join(COUNTS)}) SELECT {keys}, {sums} FROM {source} "
            f"GROUP BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {updates} RETURNING 1)"
        )
    return ",\n".join(ctes)


def rollups_apply(*, event_ids: Sequence[uuid.UUID]) -> None:
    """Replace the facts of ``event_ids`` by facts computed from their history now, in the rollups too."""
    if not event_ids:
        return
    table = EventFact._meta.db_table
    columns = ", ".join(_FACT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} WHERE event_id = ANY(%s) RETURNING *),\n"
            f"{_add_to_rollups('gone', sign='-')}\nSELECT (SELECT count(*) FROM r0) + (SELECT count(*) FROM r1)",
            [list(event_ids)],
        )
        new = facts_sql("AND e.id = ANY(%(ids)s)")
        cursor.execute(
            f"WITH made AS (INSERT INTO {table} ({columns}) SELECT * FROM ({new}) f "
            f"RETURNING *),\n{_add_to_rollups('made', sign='+')}\nSELECT (SELECT count(*) FROM r0)",
            {"ids": list(event_ids)},
        )


@transaction.atomic
def stats_rollups_advance(*, limit: int = BATCH) -> AdvanceResult:
    """Bring the rollups up to date with up to ``limit`` journal entries of events; never skips one."""
    RollupCursor.objects.get_or_create(name=CURSOR)
    cursor_row = RollupCursor.objects.select_for_update().get(name=CURSOR)
    position = Position(cursor_row.txid, cursor_row.entry_id)
    horizon = journal_horizon()
    entries = list(
        entries_after(position, horizon=horizon, limit=limit, scope=Q(record_type="event")).values_list(
            "txid", "id", "record_id"
        )
    )
    if not entries:
        return AdvanceResult(entries=0, events=0)
    event_ids = list(dict.fromkeys(record_id for _txid, _id, record_id in entries))
    rollups_apply(event_ids=event_ids)
    cursor_row.txid, cursor_row.entry_id = entries[-1][0], entries[-1][1]
    cursor_row.save(update_fields=["txid", "entry_id", "updated_at"])
    return AdvanceResult(entries=len(entries), events=len(event_ids))


def stats_rollups_catch_up(*, limit: int = BATCH) -> AdvanceResult:
    """Advance until nothing final is left behind the cursor."""
    total_entries = total_events = 0
    while True:
        result = stats_rollups_advance(limit=limit)
        total_entries += result.entries
        total_events += result.events
        if result.entries < limit:
            return AdvanceResult(entries=total_entries, events=total_events)


@transaction.atomic
def stats_rollups_rebuild() -> None:
    """Compute every fact and rollup from the whole history again (after a restore, or to seed them).

    The cursor is set just below the horizon read first: every change below it is in this snapshot; a
    change above it is read again later, which recomputing makes harmless.
    """
    horizon = journal_horizon()
    RollupCursor.objects.select_for_update().filter(name=CURSOR).first()
    tables = [EventFact._meta.db_table] + [table for table, _key in _ROLLUPS]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        columns = ", ".join(_FACT_COLUMNS)
        cursor.execute(f"INSERT INTO {EventFact._meta.db_table} ({columns}) {facts_sql('')}")
        for table, key in _ROLLUPS:
            keys = ", ".join(key)
            sums = ", ".join(f"sum({name})" for name in COUNTS)
            cursor.execute(
                f"INSERT INTO {table} ({keys}, {', '.join(COUNTS)}) "
                f"SELECT {keys}, {sums} FROM {EventFact._meta.db_table} GROUP BY {keys}"
            )
    RollupCursor.objects.update_or_create(name=CURSOR, defaults={"txid": horizon - 1, "entry_id": LAST})
