"""Projection: a change as a department may receive it — granted fields in full, ungranted personal numbers
masked, anything else ungranted left out — and the access-log rows the reading of it costs.

The same rule serves feeds, webhooks and REST, so a department sees the same thing however it reads.
"""

import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass, field
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


# How a projection plan treats a field: sent as it is, sent and logged as revealed, or (a callable) masked.
_KEEP, _REVEAL = "keep", "reveal"
Rule = str | Callable[[str], str]


@dataclass(frozen=True)
class Plan:
    """What one grant does to the fields of one record type, worked out once per page instead of per record:
    each shared field's rule (fields not in it are left out) and whether the location is sent and logged."""

    rules: dict[str, Rule]
    location: bool
    location_revealed: bool


@dataclass(frozen=True)
class Catalogue:
    """The catalogue in memory: (type, field) → (sensitivity, maskable). One query per page, not per record."""

    fields: dict[tuple[str, str], tuple[str, bool]]
    _plans: dict[tuple[str, frozenset[str]], Plan] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls) -> "Catalogue":
        rows = CatalogueField.objects.values_list("record_type", "field", "sensitivity", "maskable")
        return cls({(t, f): (s, m) for t, f, s, m in rows})

    def sensitivity(self, record_type: str, field: str) -> str | None:
        entry = self.fields.get((record_type, field))
        return entry[0] if entry else None

    def plan(self, kind: str, granted: frozenset[str]) -> Plan:
        """The projection of ``kind`` under ``granted`` (``type.field`` names), kept for the next record."""
        key = (kind, granted)
        plan = self._plans.get(key)
        if plan is None:
            rules: dict[str, Rule] = {}
            for (record_type, name), (sensitivity, maskable) in self.fields.items():
                if record_type != kind:
                    continue
                if f"{kind}.{name}" in granted:
                    rules[name] = _REVEAL if sensitivity in PROTECTED else _KEEP
                elif maskable:
                    rules[name] = MASKS.get(name, _mask_all)
            location = f"{kind}.location" in granted
            revealed = location and self.sensitivity(kind, "location") in PROTECTED
            plan = self._plans[key] = Plan(rules, location, revealed)
        return plan


def _mask_all(value: str) -> str:
    return "*" * len(value)


def project(
    change: dict[str, Any], *, granted: Set[str], catalogue: Catalogue
) -> tuple[dict[str, Any], list[str]]:
    """``change`` (a pull envelope) cut to what ``granted`` (``type.field`` names) allows: granted fields in
    full, ungranted maskable ones masked, anything else — and fields not in the catalogue — left out.

    Returns the projected change and the protected fields it carries in full (for the access log).
    """
    if change.get("deleted"):
        return change, []
    plan = catalogue.plan(change["type"], granted if isinstance(granted, frozenset) else frozenset(granted))
    rules = plan.rules
    data: dict[str, Any] = {}
    revealed: list[str] = []
    for name, value in (change.get("data") or {}).items():
        rule = rules.get(name)
        if rule is None:
            continue
        if rule is _KEEP:
            data[name] = value
        elif rule is _REVEAL:
            data[name] = value
            if value is not None and value != "" and value != []:
                revealed.append(name)
        elif isinstance(value, str) and value:
            data[name] = rule(value)  # type: ignore[operator]  # a mask: the two strings are handled above
    projected = {**change, "data": data}
    if not plan.location:
        projected["geometry"] = None
    elif plan.location_revealed and change.get("geometry") is not None:
        revealed.append("location")
    return projected, sorted(set(revealed))


def record_uuid(change: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(change["id"]))
