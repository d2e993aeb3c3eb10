"""Reading the journal without ever skipping a committed entry.

A position is (txid, id). Entries are read in that order, and only up to the *horizon*: the oldest
transaction id still running (``pg_snapshot_xmin(pg_current_snapshot())``). Every transaction below the
horizon has finished, so no entry can later appear at a position a reader has already passed — even when
transactions commit out of order, which a plain sequence (``id``) would not survive. A long transaction
delays readers; it never makes them miss anything.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal

from .models import AccessLogEntry, JournalEntry


@dataclass(frozen=True, order=True)
class Position:
    """Where a reader stands in the journal: after every entry at or before (txid, id)."""

    txid: int
    id: int

    @classmethod
    def start(cls) -> "Position":
        return cls(0, 0)


def journal_horizon() -> int:
    """The oldest transaction id still running: entries with a smaller txid are final."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        row = cursor.fetchone()
    return int(row[0])


def entries_after(
    position: Position, *, horizon: int, limit: int, scope: Q | None = None
) -> QuerySet[JournalEntry]:
    """Final entries after ``position`` (and below ``horizon``), oldest first, at most ``limit``."""
    after = Q(txid__gt=position.txid) | Q(txid=position.txid, id__gt=position.id)
    queryset = JournalEntry.objects.filter(after, txid__lt=horizon)
    if scope is not None:
        queryset = queryset.filter(scope)
    return queryset.order_by("txid", "id")[:limit]


def access_log_for(caller: Principal) -> QuerySet[AccessLogEntry]:
    """The access log is for administrators only."""
    if role_of(caller) != "admin":
        return AccessLogEntry.objects.none()
    return AccessLogEntry.objects.all()
