"""Transaction-scoped PostgreSQL advisory locks on application keys (cells, ID numbers, codes)."""

import hashlib
from collections.abc import Sequence
from typing import Any

from .bulk import bound_cursor


def lock_key(namespace: str, key: str) -> int:
    """A signed 64-bit lock id for ``namespace:key``."""
    digest = hashlib.blake2b(f"{namespace}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_xact_lock(
    keys: list[tuple[str, str]], *, reading: Sequence[tuple[str, list[Any]]] = ()
) -> list[Any]:
    """Take every lock in one statement, in a global order so that concurrent callers cannot deadlock.

    Held until the surrounding transaction ends; must be called inside ``transaction.atomic``. ``reading`` are
    scalar subqueries (SQL, parameters) the same statement answers, in order: what the caller reads next that the
    locks do not guard costs no round trip of its own.
    """
    ids = sorted({lock_key(namespace, key) for namespace, key in keys})
    if not ids and not reading:
        return []
    # The function scan yields the sorted array's elements in order, and each lock is taken as its row passes:
    # one statement however many keys (a select-list of one call per key stops at 1,664 entries).
    reads = "".join(f", ({sql})" for sql, _params in reading)
    params = [param for _sql, read_params in reading for param in read_params]
    with bound_cursor() as cursor:
        cursor.execute(
            f"SELECT count(pg_advisory_xact_lock(key)){reads} FROM unnest(%b::bigint[]) AS key",  # noqa: S608
            [*params, ids],
        )
        row = cursor.fetchone()
    return list(row[1:])
