"""What a merge does to the surviving record: the fields it may fill in (personal numbers compared by blind
index, a differing one kept as an alternative), what is held back when the collector is outside the record's
scope, and the record of an automatic merge with what undoing it needs. Shared by the merges of one collected
record (``merging``), of a batch (``batch``), their undoing and the review decisions."""

import uuid
from typing import Any

from django.conf import settings

from apps.core.crypto import seal_json

from ..matching import Match
from ..models import Building, MergeEvent, Organisation, Person, RecordType
from .common import fill_in

MODELS: dict[str, Any] = {
    RecordType.BUILDING: Building, RecordType.PERSON: Person, RecordType.ORGANISATION: Organisation,
}  # fmt: skip
# Fields a merge may fill in on the survivor (never its identity: address, name, location).
FILLABLE: dict[str, list[str]] = {
    RecordType.BUILDING: ["address_code", "name", "use", "floors", "footprint", "landlord_id"],
    RecordType.PERSON: [
        "gender", "birth_date", "id_number_sealed", "id_number_index", "phone_sealed", "phone_index",
        "passport_sealed", "passport_index", "pii_key_id", "household_type", "tags",
    ],
    RecordType.ORGANISATION: [
        "credit_code", "code_unverified", "code_key", "kind", "industry", "building_id", "room", "floor",
        "legal_rep_name", "legal_rep_id_number_sealed", "legal_rep_id_number_index", "phone_sealed", "phone_index",
        "pii_key_id", "area_m2", "staff", "beds", "seats", "tags",
    ],
}  # fmt: skip
# Sealed personal numbers (``<name>_sealed`` + ``<name>_index``) of each record type, compared by blind index.
SEALED_NUMBERS: dict[str, tuple[str, ...]] = {
    RecordType.PERSON: ("id_number", "phone", "passport"),
    RecordType.ORGANISATION: ("legal_rep_id_number", "phone"),
}
SNAPSHOT_EXTRA = ["alternatives"]
# What a person's move (collected in another grid than theirs, by that grid's worker) changes; undone with it.
MOVED_FIELDS = ["location", "cell", "grid_id"]


def fill_survivor(record_type: str, survivor: Any, incoming: dict[str, Any], ref: str) -> list[str]:
    """Fill what the survivor lacks; returns the fields changed (for an exact undo).

    Personal numbers are compared by blind index, not by their sealed bytes (sealing is randomised);
    a differing number is kept, sealed, as an alternative. Tags are united.
    """
    values = {name: incoming.get(name) for name in FILLABLE[record_type]}
    changed: list[str] = []
    alternatives: dict[str, Any] = dict(survivor.alternatives or {})
    if record_type in SEALED_NUMBERS:
        values.pop("pii_key_id")
        for number in SEALED_NUMBERS[record_type]:
            index, sealed = values.pop(f"{number}_index"), values.pop(f"{number}_sealed")
            current = getattr(survivor, f"{number}_index")
            if index and not current:
                setattr(survivor, f"{number}_index", index)
                setattr(survivor, f"{number}_sealed", sealed)
                changed += [f"{number}_index", f"{number}_sealed"]
            elif index and index != current:
                entries = alternatives.setdefault(number, [])
                if all(entry.get("index") != index for entry in entries):
                    entries.append({"index": index, "sealed": sealed, "observation": ref})
        tags = sorted(set(survivor.tags or []) | set(values.pop("tags") or []))
        if tags != sorted(survivor.tags or []):
            survivor.tags = tags
            changed.append("tags")
    survivor.alternatives = alternatives
    filled, survivor.alternatives = fill_in(survivor, values, ref)
    return changed + filled


def automatic_merge_event(
    *, record_type: str, survivor_id: uuid.UUID, merged_id: uuid.UUID, match: Match, actor: Any,
    before: dict[str, Any], filled: list[str], observation_id: uuid.UUID,
) -> MergeEvent:  # fmt: skip
    """The (unsaved) record of a merge made on collection, with what undoing it needs."""
    return MergeEvent(
        record_type=record_type, survivor_id=survivor_id, merged_id=merged_id, automatic=True, score=match.score,
        reasons=match.reasons, actor=actor,
        snapshot_sealed=seal_json({
            "survivor": before, "filled": filled, "observations": [str(observation_id)], "residences": [],
            "aliases": [str(merged_id)], "landlord_of": [],
        }),
    )  # fmt: skip


# Fields never filled in on a record from outside its scope: they become a review item for its dispatchers.
HELD_OUTSIDE_SCOPE: dict[str, list[str]] = {
    RecordType.BUILDING: [],
    RecordType.PERSON: ["tags", "id_number_index", "id_number_sealed", "passport_index", "passport_sealed"],
    RecordType.ORGANISATION: ["legal_rep_id_number_index", "legal_rep_id_number_sealed"],
}
# The identity numbers among them: (column prefix, the name a review item gives).
HELD_NUMBERS: dict[str, tuple[tuple[str, str], ...]] = {
    RecordType.PERSON: (("id_number", "id_number"), ("passport", "passport_number")),
    RecordType.ORGANISATION: (("legal_rep_id_number", "legal_rep_id_number"),),
}
HELD_REASON = "held back: brought from outside the record's grids"


def held_back(record_type: str, survivor: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``fields`` without what a collector outside ``survivor``'s scope may not fill in, and the names of the
    fields held back that would have added something (a new tag, an ID or passport number it lacks)."""
    held = HELD_OUTSIDE_SCOPE[record_type]
    if not held:
        return fields, []
    kept = {name: value for name, value in fields.items() if name not in held}
    new: list[str] = []
    if "tags" in held and set(fields.get("tags") or []) - set(survivor.tags or []):
        new.append("tags")
    for number, label in HELD_NUMBERS.get(record_type, ()):
        index = fields.get(f"{number}_index")
        if index and index != getattr(survivor, f"{number}_index"):
            new.append(label)
    return kept, new


def merge_settings_threshold(record_type: str) -> tuple[float, float]:
    """(auto-merge, review) thresholds for ``record_type``."""
    if record_type == RecordType.BUILDING:
        return settings.GRIDAPI_MATCH_BUILDING_AUTO, settings.GRIDAPI_MATCH_BUILDING_REVIEW
    if record_type == RecordType.ORGANISATION:
        return settings.GRIDAPI_MATCH_ORGANISATION_AUTO, settings.GRIDAPI_MATCH_ORGANISATION_REVIEW
    return settings.GRIDAPI_MATCH_PERSON_AUTO, settings.GRIDAPI_MATCH_PERSON_REVIEW
