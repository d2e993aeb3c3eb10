"""Buildings, people and residences as sources of the journal's change engine (pulls and feeds)."""

from collections.abc import Callable
from typing import Any

import orjson
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Q

from apps.journal.changes import ChangeSource, change_source_register
from apps.journal.changes import columns as c

from .models import Building, Person, RecordAlias, RecordType, Residence

_HEAD = [
    c.text("id"),
    c.text("merged_into_id"),
    c.text("grid_id"),
    c.NULL,
    "version",
    c.updated(),
    *c.coordinates(),
]


def _building_columns() -> list[Any]:
    return [*_HEAD, "address", "address_code", "name", "use", "floors", AsGeoJSON("footprint", precision=7),
            c.text("landlord_id")]  # fmt: skip


def _person_columns() -> list[Any]:
    return [*_HEAD, "name", "gender", c.day("birth_date"), "id_number_sealed", "phone_sealed", "passport_sealed",
            "household_type", "tags"]  # fmt: skip


def _residence_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.text("building__grid_id"), c.NULL, "version", c.updated(),
            c.text("person_id"), c.text("building_id"), "room", "relation", c.day("since"), c.day("until")]  # fmt: skip


def _building(
    row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Callable[[str], str]
) -> dict[str, Any]:
    (_, _, grid, _, _, _, lon, lat, address, address_code, name, use, floors, footprint, landlord) = row
    data = {
        "address": address, "address_code": address_code, "name": name, "use": use, "floors": floors,
        "footprint": orjson.loads(footprint) if footprint else None, "landlord_id": landlord,
        "grid": grid_codes.get(grid),
    }  # fmt: skip
    return c.envelope(RecordType.BUILDING.value, row, data, c.point(lon, lat))


def _person(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Callable[[str], str]) -> dict[str, Any]:
    (_, _, grid, _, _, _, lon, lat, name, gender, born, id_number, phone, passport, household_type, tags) = (
        row
    )
    data = {
        "name": name, "gender": gender, "birth_date": born, "id_number": unseal(id_number) if id_number else None,
        "phone": unseal(phone) if phone else None, "passport_number": unseal(passport) if passport else None,
        "household_type": household_type, "tags": tags, "grid": grid_codes.get(grid),
    }  # fmt: skip
    return c.envelope(RecordType.PERSON.value, row, data, c.point(lon, lat))


def _residence(
    row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Callable[[str], str]
) -> dict[str, Any]:
    person, building, room, relation, since, until = row[6:]
    data = {"person_id": person, "building_id": building, "room": room, "relation": relation, "since": since,
            "until": until}  # fmt: skip
    return c.envelope(RecordType.RESIDENCE.value, row, data, None)


def _canonical(ids: list[str]) -> dict[str, str]:
    """Merged ids → the canonical record each became (through the aliases)."""
    return {
        str(alias): str(canonical)
        for alias, canonical in RecordAlias.objects.filter(alias__in=c.any_of(ids)).values_list(
            "alias", "canonical_id"
        )
    }


def _person_revealed(change: dict[str, Any]) -> tuple[str, ...]:
    data = change["data"]
    fields = tuple(name for name in ("id_number", "phone", "passport_number", "tags") if data.get(name))
    return fields + (("location",) if change.get("geometry") else ())


def _residence_revealed(change: dict[str, Any]) -> tuple[str, ...]:
    return ("room",) if change["data"].get("room") else ()


def register_change_sources() -> None:
    """Called from the registry's ``AppConfig.ready``; the snapshot orders 0–2 are the registry's."""
    canonical = Q(merged_into__isnull=True)
    change_source_register(ChangeSource(
        kind=RecordType.BUILDING.value, model=Building, order=0, columns=_building_columns, envelope=_building,
        live=canonical, canonical=_canonical,
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind=RecordType.PERSON.value, model=Person, order=1, columns=_person_columns, envelope=_person,
        live=canonical, canonical=_canonical, revealed=_person_revealed,
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind=RecordType.RESIDENCE.value, model=Residence, order=2, columns=_residence_columns,
        envelope=_residence, grid_field="building__grid_id", live=Q(until__isnull=True),
        revealed=_residence_revealed,
    ))  # fmt: skip
