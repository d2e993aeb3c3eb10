"""Projection: a change as a department may receive it — granted fields in full, ungranted personal numbers
masked, anything else ungranted left out — and the access-log rows the reading of it costs.

The same rule serves feeds, webhooks and REST, so a department sees the same thing however it reads.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from apps.core.identity import mask_id_number, mask_phone

from .models import CatalogueField, Sensitivity

MASKS = {
    "id_number": mask_id_number,
    "legal_rep_id_number": mask_id_number,
    "phone": mask_phone,
    "passport_number": lambda v: v[:2] + "*" * max(len(v) - 4, 0) + v[-2:],
}
PROTECTED = {Sensitivity.SENSITIVE.value, Sensitivity.SPECIAL.value}


@dataclass(frozen=True)
class Catalogue:
    """The catalogue in memory: (type, field) → (sensitivity, maskable). One query per page, not per record."""

    fields: dict[tuple[str, str], tuple[str, bool]]

    @classmethod
    def load(cls) -> "Catalogue":
        rows = CatalogueField.objects.values_list("record_type", "field", "sensitivity", "maskable")
        return cls({(t, f): (s, m) for t, f, s, m in rows})

    def sensitivity(self, record_type: str, field: str) -> str | None:
        entry = self.fields.get((record_type, field))
        return entry[0] if entry else None


def project(
    change: dict[str, Any], *, granted: set[str], catalogue: Catalogue
) -> tuple[dict[str, Any], list[str]]:
    """``change`` (a pull envelope) cut to what ``granted`` (``type.field`` names) allows.

    Returns the projected change and the protected fields it carries in full (for the access log).
    """
    if change.get("deleted"):
        return change, []
    kind = change["type"]
    data_in = change.get("data") or {}
    data: dict[str, Any] = {}
    revealed: list[str] = []
    for field, value in data_in.items():
        entry = catalogue.fields.get((kind, field))
        if entry is None:
            continue  # not in the catalogue: never shared
        sensitivity, maskable = entry
        if f"{kind}.{field}" in granted:
            data[field] = value
            if sensitivity in PROTECTED and value not in (None, "", []):
                revealed.append(field)
        elif maskable and isinstance(value, str) and value:
            data[field] = MASKS.get(field, lambda v: "*" * len(v))(value)
    projected = {**change, "data": data}
    if f"{kind}.location" not in granted:
        projected["geometry"] = None
    elif change.get("geometry") is not None and catalogue.sensitivity(kind, "location") in PROTECTED:
        revealed.append("location")
    return projected, sorted(set(revealed))


def record_uuid(change: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(change["id"]))
