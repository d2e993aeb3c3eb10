"""Pull envelopes of organisations, employments and alerts, shaped like the sync pull's other records:
``{"type", "id", "version", "updated_at", "deleted", "geometry", "data"}``.

The sync pull and the sharing feeds read these (one query per call, personal numbers decrypted with the keys
read once): ``envelopes(kind, queryset, grid_codes)`` for a page of one kind, ``SNAPSHOT`` for what a grid holds.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet

from apps.core.crypto import unsealer

from ..models import RecordType
from .models import Alert, Employment, Organisation

ALERT = "alert"
TYPES = [RecordType.ORGANISATION.value, RecordType.EMPLOYMENT.value, ALERT]

_COLUMNS: dict[str, list[str]] = {
    RecordType.ORGANISATION: [
        "id", "version", "updated_at", "grid_id", "location", "name", "credit_code", "code_unverified", "kind",
        "industry", "building_id", "room", "floor", "legal_rep_name", "legal_rep_id_number_sealed", "phone_sealed",
        "area_m2", "staff", "beds", "seats", "tags", "status",
    ],
    RecordType.EMPLOYMENT: [
        "id", "version", "updated_at", "organisation__grid_id", "person_id", "organisation_id", "role", "since",
        "until",
    ],
    ALERT: ["id", "updated_at", "grid_id", "rule_id", "kind", "person_id", "building_id", "at", "status"],
}  # fmt: skip


def snapshot(kind: str, grid_ids: Iterable[Any]) -> QuerySet[Any]:
    """What ``grid_ids`` hold of ``kind`` now (canonical organisations, current employments, open alerts)."""
    grids = list(grid_ids)
    if kind == RecordType.ORGANISATION:
        return Organisation.objects.filter(grid_id__in=grids, merged_into__isnull=True)
    if kind == RecordType.EMPLOYMENT:
        return Employment.objects.filter(organisation__grid_id__in=grids, until__isnull=True)
    return Alert.objects.filter(grid_id__in=grids, status="open")


def _text(value: Any) -> Any:
    return None if value is None else str(value) if not hasattr(value, "isoformat") else value.isoformat()


def _envelope(
    kind: str, row: dict[str, Any], grid_codes: dict[str, str], unseal: Callable[[str], str]
) -> dict[str, Any]:
    geometry = None
    if kind == RecordType.ORGANISATION:
        point = row["location"]
        geometry = (
            None
            if point is None
            else {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]}
        )
        data = {
            name: _text(row[name]) if name.endswith("_id") else row[name]
            for name in _COLUMNS[kind][5:]
            if not name.endswith("_sealed")
        }
        data["legal_rep_id_number"] = (
            unseal(row["legal_rep_id_number_sealed"]) if row["legal_rep_id_number_sealed"] else None
        )
        data["phone"] = unseal(row["phone_sealed"]) if row["phone_sealed"] else None
        data["grid"] = grid_codes.get(str(row["grid_id"]))
    elif kind == RecordType.EMPLOYMENT:
        data = {name: _text(row[name]) for name in ("person_id", "organisation_id", "since", "until")}
        data["role"] = row["role"]
    else:
        data = {
            "rule": _text(row["rule_id"]), "kind": row["kind"], "person_id": _text(row["person_id"]),
            "grid": grid_codes.get(str(row["grid_id"])), "building_id": _text(row["building_id"]),
            "at": _text(row["at"]), "status": row["status"],
        }  # fmt: skip
    return {
        "type": kind, "id": str(row["id"]), "version": row.get("version", 1), "updated_at": _text(row["updated_at"]),
        "deleted": False, "geometry": geometry, "data": data,
    }  # fmt: skip


def envelopes(kind: str, queryset: QuerySet[Any], grid_codes: dict[str, str]) -> list[dict[str, Any]]:
    """The envelopes of ``queryset``'s records of one kind, in one query. ``grid_codes`` maps grid ids (text) to
    codes: an envelope names a grid only when it is one of them."""
    open_sealed = unsealer()
    return [_envelope(kind, row, grid_codes, open_sealed) for row in queryset.values(*_COLUMNS[kind])]
