"""What a collection merged into a person did to their homes, kept on the merge so that undoing it undoes them.

A person collected with a home is merged into the canonical person; if the home lies in the collector's grid and
the person lived elsewhere, they have moved (人走/人来) and their other homes ended. Undoing the merge gives the
home the collection brought back to the collected record (it joins the merge's moved residences) and reopens the
homes the move ended — unless their end was edited since (then the edit is kept, like any field edited since).
"""

import datetime as dt
import uuid
from typing import Any

from apps.core.crypto import seal_json, unseal_json
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..models import MergeEvent, RecordType, Residence


def merge_homes_note(*, merged_id: uuid.UUID, ended: list[Residence], brought: Residence | None) -> None:
    """Add to the automatic merge that made ``merged_id`` a tombstone: the homes its move ended, and the home the
    collection created (``None`` when it only confirmed one the person had)."""
    if not ended and brought is None:
        return
    event = MergeEvent.objects.select_for_update().get(merged_id=merged_id, undone_at__isnull=True)
    state = unseal_json(event.snapshot_sealed)
    if brought is not None:
        state["residences"] = [*state.get("residences", []), str(brought.pk)]
    state["ended_residences"] = [
        *state.get("ended_residences", []),
        *({"id": str(home.pk), "until": home.until.isoformat() if home.until else None} for home in ended),
    ]
    event.snapshot_sealed = seal_json(state)
    event.save(update_fields=["snapshot_sealed", "updated_at"])


def merge_homes_undo(*, state: dict[str, Any], actor: Any) -> list[str]:
    """Inside the unmerge: reopen the homes the merge's move ended, each still ended on the day the move set;
    one journal entry each (the old grid's devices see the person back). Returns the ids reopened."""
    ended = {entry["id"]: entry["until"] for entry in state.get("ended_residences", [])}
    reopened = []
    for home in Residence.objects.select_for_update().filter(pk__in=list(ended)).select_related("building"):
        if home.until is None or home.until != dt.date.fromisoformat(ended[str(home.pk)]):
            continue
        home.until = None
        home.version += 1
        home.save(update_fields=["until", "version", "updated_at"])
        journal_record(
            record_type=RecordType.RESIDENCE, record_id=home.pk, change=Change.UPDATED, version=home.version,
            grid_id=home.building.grid_id, fields=["until"], actor=actor,
        )  # fmt: skip
        reopened.append(str(home.pk))
    return reopened
