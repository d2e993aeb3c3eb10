"""Writing the journal (inside the caller's transaction)."""

import uuid
from collections.abc import Iterable
from typing import Any

from .models import AccessLogEntry, JournalEntry


def journal_record(
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
    """Append one entry. Call it inside the transaction that makes the change, so both commit or neither."""
    return JournalEntry.objects.create(
        record_type=record_type,
        record_id=record_id,
        change=change,
        version=version,
        grid_id=grid_id,
        previous_grid_id=previous_grid_id if previous_grid_id != grid_id else None,
        fields=sorted(set(fields)),
        merged_into=merged_into,
        actor_id=getattr(actor, "pk", None) if isinstance(getattr(actor, "pk", None), uuid.UUID) else None,
    )


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
) -> AccessLogEntry:
    """An unsaved access-log row for a read that revealed ``fields`` (callers save them in bulk)."""
    user_pk = getattr(user, "pk", None)
    return AccessLogEntry(
        channel=channel, record_type=record_type, record_id=record_id, fields=sorted(set(fields)),
        user_id=user_pk if isinstance(user_pk, uuid.UUID) else None,
        department_id=department_id or getattr(user, "department_id", None), subscription_id=subscription_id,
        purpose=purpose[:300],
    )  # fmt: skip


def access_log(entries: Iterable[AccessLogEntry]) -> None:
    """Write access-log rows (one query)."""
    AccessLogEntry.objects.bulk_create(list(entries))
