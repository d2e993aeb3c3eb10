"""Undoing a merge exactly: both records, their observations, residences, employments, aliases and landlords
as they were before it."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.crypto import unseal_json
from apps.core.errors import Conflict
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..models import Building, MergeEvent, Observation, RecordAlias, RecordType, Residence
from .common import held_by_another, journal_update, restore
from .merge_rules import MODELS, SNAPSHOT_EXTRA
from .merging import journal_residences, lock_pair, move_employments, residence_field_of
from .moves import merge_homes_undo


@transaction.atomic
def record_unmerge(*, event: MergeEvent, actor: Any) -> tuple[Any, Any]:
    """Undo a merge: both records, their observations, residences and aliases are as they were before it.

    Fields the merge filled in on the survivor are restored; fields edited since are kept. Refused when the
    survivor has itself been merged since (undo that merge first).
    """
    event = MergeEvent.objects.select_for_update().get(pk=event.pk)
    if event.undone_at is not None:
        raise Conflict(_("This merge has already been undone."))
    survivor, merged = lock_pair(event.record_type, event.survivor_id, event.merged_id)
    if survivor.merged_into_id is not None:
        raise Conflict(_("The surviving record has been merged since; undo that merge first."))
    state = unseal_json(event.snapshot_sealed)
    before = state["survivor"]
    grid_then = survivor.grid_id
    restore(survivor, {name: before[name] for name in [*state["filled"], *SNAPSHOT_EXTRA] if name in before})
    if _key_held(event.record_type, merged, survivor):
        raise Conflict(
            _(
                "Apart, the two records would share a key that decides alone (ID number or standard address code)."
            )
        )
    survivor.version += 1
    survivor.save()
    merged.merged_into = None
    merged.version += 1
    merged.save(update_fields=["merged_into", "version", "updated_at"])
    journal_update(
        record_type=event.record_type, record=survivor, fields=state["filled"], actor=actor,
        previous_grid=grid_then if grid_then != survivor.grid_id else None,
    )  # fmt: skip
    journal_record(
        record_type=event.record_type, record_id=merged.pk, change=Change.UNMERGED, version=merged.version,
        grid_id=merged.grid_id, actor=actor,
    )  # fmt: skip

    Observation.objects.filter(pk__in=state["observations"]).update(record_id=merged.pk)
    if residence_field := residence_field_of(event.record_type):
        Residence.objects.filter(pk__in=state["residences"]).update(**{residence_field: merged.pk})
    if state.get("employments"):
        move_employments(event.record_type, None, merged.pk, only=state["employments"])
    RecordAlias.objects.filter(alias__in=state["aliases"]).update(canonical_id=merged.pk)
    if state["landlord_of"]:
        Building.objects.filter(pk__in=state["landlord_of"]).update(landlord_id=merged.pk)
    journal_residences(state["residences"], actor)
    merge_homes_undo(state=state, actor=actor)  # homes a move ended reopen (see moves)
    event.undone_at, event.undone_by = timezone.now(), actor
    event.save(update_fields=["undone_at", "undone_by", "updated_at"])
    return survivor, merged


# The keys that decide alone, one canonical record each (unique constraints of the models).
_DECIDING_KEY: dict[str, str] = {
    RecordType.PERSON: "id_number_index", RecordType.BUILDING: "address_code", RecordType.ORGANISATION: "code_key",
}  # fmt: skip


def _key_held(record_type: str, merged: Any, survivor: Any) -> bool:
    """Whether another canonical record — the survivor as restored, or any other — holds ``merged``'s deciding
    key, so that undoing the merge would make two canonical records of one key."""
    column = _DECIDING_KEY[record_type]
    key = getattr(merged, column)
    if not key:
        return False
    return getattr(survivor, column) == key or held_by_another(
        MODELS[record_type], column=column, value=key, record_id=survivor.pk
    )
