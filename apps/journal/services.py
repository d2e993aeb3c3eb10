"""Writing the journal (inside the caller's transaction)."""

import uuid
from collections.abc import Iterable
from typing import Any

from .models import JournalEntry


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
