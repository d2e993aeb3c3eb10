"""Writing the journal (inside the caller's transaction)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
    """Append one entry. Call it inside the transaction that makes the change, so both commit or neither."""
    row = journal_entry(
        record_type=record_type, record_id=record_id, change=change, version=version, grid_id=grid_id,
        previous_grid_id=previous_grid_id, fields=fields, merged_into=merged_into, actor=actor,
    )  # fmt: skip
    row.save(force_insert=True)
    return row


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
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for entry in entries:
        key = (entry.user_id, entry.department_id, entry.subscription_id, entry.purpose, entry.channel,
               entry.record_type, tuple(entry.fields))  # fmt: skip
        groups.setdefault(key, []).append(entry.record_id)
    if not groups:
        return
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user_id=user_id, department_id=department_id, subscription_id=subscription_id, purpose=purpose,
            channel=channel, record_type=record_type, fields=list(fields), record_ids=record_ids,
        )
        for (user_id, department_id, subscription_id, purpose, channel, record_type, fields), record_ids in groups.items()
    )  # fmt: skip
