"""Transaction-scoped PostgreSQL advisory locks on application keys (cells, ID numbers, codes)."""

import hashlib

from django.db import connection


def lock_key(namespace: str, key: str) -> int:
    """A signed 64-bit lock id for ``namespace:key``."""
    digest = hashlib.blake2b(f"{namespace}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_xact_lock(keys: list[tuple[str, str]]) -> None:
    """Take every lock in one statement, in a global order so that concurrent callers cannot deadlock.

    Held until the surrounding transaction ends; must be called inside ``transaction.atomic``.
    """
    ids = sorted({lock_key(namespace, key) for namespace, key in keys})
    if not ids:
        return
    # One row, its select-list evaluated left to right: the locks are taken in sorted order.
    sql = "SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
