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
from .models import (
    COUNTS,
    CategoryPeriodRollup,
    DepartmentPeriodRollup,
    DepartmentRollup,
    EventFact,
    GridPeriodRollup,
    GridRollup,
    RollupCursor,
)

CURSOR = "events"
# The journal's record types whose changes change facts: events, and the workers' work.
RECORD_TYPES = ("event", "patrol", "task", "visit")
BATCH = 5_000
# Every txid below the horizon is final: a cursor at (horizon - 1, LAST) is past all of them.
LAST = 2**62

_FACT_COLUMNS = ("event_id", *DIMS, *DAYS, *COUNTS)
# (table, key, whether it sums per calendar period): every rollup the facts are summed into.
_ROLLUPS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (GridRollup._meta.db_table, (*DIMS, *DAYS), False),
    (DepartmentRollup._meta.db_table, ("department_id", *DAYS), False),
    (DepartmentPeriodRollup._meta.db_table, ("kind", "start", "department_id"), True),
    (GridPeriodRollup._meta.db_table, ("kind", "start", "department_id", "grid_id"), True),
    (CategoryPeriodRollup._meta.db_table, ("kind", "start", "department_id", "category_id", "channel"), True),
)
# The calendar periods holding a fact (``f``), with their first and last days: a fact counts in the period
# of each kind that holds its first day when its last day lies in it too and, for a suspension's fact, the
# suspension is open at the period's end (the same test the daily rollups apply per period asked for).
_PERIODS_OF_FACT = """CROSS JOIN LATERAL (
  SELECT k.kind, date_trunc(k.kind, f.day_min)::date AS start,
         (date_trunc(k.kind, f.day_min) + k.span - interval '1 day')::date AS last
  FROM (VALUES ('week', interval '7 days'), ('month', interval '1 month'), ('quarter', interval '3 months'),
               ('year', interval '1 year')) k(kind, span)) p
WHERE f.day_max <= p.last
  AND (f.open_from IS NULL OR (f.open_from <= p.last AND (f.open_until IS NULL OR f.open_until > p.last)))"""


def _summed(source: str, key: tuple[str, ...], *, per_period: bool, sign: str = "") -> str:
    """SELECT key…, counts… — the facts of ``source`` summed per ``key`` (per calendar period when asked)."""
    sums = ", ".join(f"{sign}sum(f.{name})" for name in COUNTS)
    if not per_period:
        keys = ", ".join(f"f.{name}" for name in key)
        return f"SELECT {keys}, {sums} FROM {source} f GROUP BY {keys}"
    keys = ", ".join(f"p.{name}" if name in ("kind", "start") else f"f.{name}" for name in key)
    return f"SELECT {keys}, {sums} FROM {source} f {_PERIODS_OF_FACT} GROUP BY {keys}"


@dataclass(frozen=True)
class AdvanceResult:
    entries: int
    events: int


def _add_to_rollups(source: str, *, sign: str) -> str:
    """Data-modifying CTEs adding (``sign`` "+") or taking back ("-") the facts of ``source`` in every rollup."""
    ctes = []
    for index, (table, key, per_period) in enumerate(_ROLLUPS):
        keys = ", ".join(key)
        updates = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in COUNTS)
        ctes.append(
            f"r{index} AS (INSERT INTO {table} ({keys}, {', '.join(COUNTS)}) "
            f"{_summed(source, key, per_period=per_period, sign=sign)} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates} RETURNING 1)"
        )
    return ",\n".join(ctes)


def _all_written() -> str:
    """SELECT of the rows every rollup CTE wrote (so that PostgreSQL runs each of them)."""
    return "SELECT " + " + ".join(f"(SELECT count(*) FROM r{index})" for index in range(len(_ROLLUPS)))


def rollups_apply(*, event_ids: Sequence[uuid.UUID]) -> None:
    """Replace the facts of ``event_ids`` — events, and the patrols, visits and tasks of ``apps.stats.work`` — by
    facts computed from their history now, in the rollups too."""
    if not event_ids:
        return
    table = EventFact._meta.db_table
    columns = ", ".join(_FACT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} WHERE event_id = ANY(%s) RETURNING *),\n"
            f"{_add_to_rollups('gone', sign='-')}\n{_all_written()}",
            [list(event_ids)],
        )
        new = facts_sql("AND e.id = ANY(%(ids)s)")
        cursor.execute(
            f"WITH made AS (INSERT INTO {table} ({columns}) SELECT * FROM ({new}) f "
            f"RETURNING *),\n{_add_to_rollups('made', sign='+')}\n{_all_written()}",
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
        entries_after(
            position, horizon=horizon, limit=limit, scope=Q(record_type__in=RECORD_TYPES)
        ).values_list("txid", "id", "record_id")
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
    tables = [EventFact._meta.db_table] + [table for table, _key, _per_period in _ROLLUPS]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        columns = ", ".join(_FACT_COLUMNS)
        cursor.execute(f"INSERT INTO {EventFact._meta.db_table} ({columns}) {facts_sql('')}")
        for table, key, per_period in _ROLLUPS:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(key)}, {', '.join(COUNTS)}) "
                f"{_summed(EventFact._meta.db_table, key, per_period=per_period)}"
            )
    RollupCursor.objects.update_or_create(name=CURSOR, defaults={"txid": horizon - 1, "entry_id": LAST})
