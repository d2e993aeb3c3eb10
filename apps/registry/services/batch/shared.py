"""Reads every batch of collections makes: the ids already given out, the surviving records locked."""

import uuid
from typing import Any

from ...models import RecordAlias


def ids_given_out(ids: list[uuid.UUID | None]) -> set[uuid.UUID]:
    """Which of the ids devices made for new records already name a record (of any type): one query."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    return set(RecordAlias.objects.filter(alias__in=wanted).values_list("alias", flat=True))


def locked_survivors(model: Any, ids: list[uuid.UUID], created: list[Any]) -> dict[uuid.UUID, Any]:
    """The records that absorb others: those created in this batch as they are, the rest locked and fresh."""
    survivors = {record.pk: record for record in created}
    existing = sorted({pk for pk in ids if pk not in survivors})
    if existing:
        # In id order, so two batches merging into the same records lock them in the same order.
        survivors |= {
            r.pk: r for r in model.objects.select_for_update().filter(pk__in=existing).order_by("pk")
        }
    return survivors
