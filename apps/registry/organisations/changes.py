"""Organisations, employments and alerts as sources of the journal's change engine (pulls and feeds).

Their snapshot positions come after the first four types (cursors already given out hold those). Alerts go to
the workers of the alert's grid while open; an acknowledged one leaves the snapshot but is sent as a change.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import IntegerField, Q, Value

from apps.journal.changes import ChangeSource, change_source_register
from apps.journal.changes import columns as c

from ..models import RecordAlias, RecordType
from .models import Alert, AlertStatus, Employment, Organisation

ALERT = "alert"
_HEAD = [
    c.text("id"),
    c.text("merged_into_id"),
    c.text("grid_id"),
    c.NULL,
    "version",
    c.updated(),
    *c.coordinates(),
]


def _organisation_columns() -> list[Any]:
    return [*_HEAD, "name", "credit_code", "code_unverified", "kind", "industry", c.text("building_id"), "room",
            "floor", "legal_rep_name", "legal_rep_id_number_sealed", "phone_sealed", "area_m2", "staff", "beds",
            "seats", "tags", "status"]  # fmt: skip


def _employment_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.text("organisation__grid_id"), c.NULL, "version", c.updated(),
            c.text("person_id"), c.text("organisation_id"), "role", c.day("since"), c.day("until")]  # fmt: skip


def _alert_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.text("grid_id"), c.NULL, Value(1, output_field=IntegerField()), c.updated(),
            c.text("rule_id"), "kind", c.text("person_id"), c.text("building_id"), c.updated("at"), "status"]  # fmt: skip


Unseal = Callable[[str], str]


def _organisation(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    (_, _, grid, _, _, _, lon, lat, name, credit_code, unverified, kind, industry, building, room, floor, legal_rep,
     legal_rep_id, phone, area, staff, beds, seats, tags, status) = row  # fmt: skip
    data = {
        "name": name, "credit_code": credit_code, "code_unverified": unverified, "kind": kind, "industry": industry,
        "building_id": building, "room": room, "floor": floor, "legal_rep_name": legal_rep,
        "legal_rep_id_number": unseal(legal_rep_id) if legal_rep_id else None,
        "phone": unseal(phone) if phone else None, "area_m2": area, "staff": staff, "beds": beds, "seats": seats,
        "tags": tags, "status": status, "grid": grid_codes.get(grid),
    }  # fmt: skip
    return c.envelope(RecordType.ORGANISATION.value, row, data, c.point(lon, lat))


def _employment(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    person, organisation, role, since, until = row[6:]
    data = {
        "person_id": person,
        "organisation_id": organisation,
        "role": role,
        "since": since,
        "until": until,
    }
    return c.envelope(RecordType.EMPLOYMENT.value, row, data, None)


def _alert(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    rule, kind, person, building, at, status = row[6:]
    data = {"rule": rule, "kind": kind, "person_id": person, "grid": grid_codes.get(row[c.GRID]),
            "building_id": building, "at": at, "status": status}  # fmt: skip
    return c.envelope(ALERT, row, data, None)


def _canonical(ids: list[str]) -> dict[str, str]:
    return {
        str(alias): str(canonical)
        for alias, canonical in RecordAlias.objects.filter(
            record_type=RecordType.ORGANISATION, alias__in=c.any_of(ids)
        ).values_list("alias", "canonical_id")
    }


def _organisation_revealed(change: dict[str, Any]) -> tuple[str, ...]:
    return tuple(name for name in ("legal_rep_id_number", "phone") if change["data"].get(name))


def _alert_revealed(change: dict[str, Any]) -> tuple[str, ...]:
    return ("tags",)  # an alert tells that its person carries a watched tag


def register_organisation_change_sources() -> None:
    """Called from the registry's ``AppConfig.ready``: snapshot orders 10–30."""
    change_source_register(ChangeSource(
        kind=RecordType.ORGANISATION.value, model=Organisation, order=10, columns=_organisation_columns,
        envelope=_organisation, live=Q(merged_into__isnull=True), canonical=_canonical,
        revealed=_organisation_revealed,
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind=RecordType.EMPLOYMENT.value, model=Employment, order=20, columns=_employment_columns,
        envelope=_employment, grid_field="organisation__grid_id", live=Q(until__isnull=True),
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind=ALERT, model=Alert, order=30, columns=_alert_columns, envelope=_alert,
        live=Q(status=AlertStatus.OPEN), revealed=_alert_revealed,
    ))  # fmt: skip
