"""Writing the access log when personal data is shown to a user in full."""

from collections.abc import Iterable
from typing import Any

from apps.journal.services import access_entry, access_log

from ..models import Person, Residence

# What a person's detail shows in full of the sensitive and special fields; a list masks the numbers.
FULL_VIEW = ("id_number", "phone", "passport_number", "tags", "location")
LIST_VIEW = ("tags", "location")


def person_revealed_fields(person: Person, shown: Iterable[str] = FULL_VIEW) -> list[str]:
    """The sensitive and special fields among ``shown`` that hold a value for ``person``."""
    held = {
        "id_number": person.id_number_sealed, "phone": person.phone_sealed, "passport_number": person.passport_sealed,
        "tags": person.tags, "location": person.location,
    }  # fmt: skip
    return [name for name in shown if held[name]]


def people_access_log(
    *, user: Any, people: Iterable[Person], channel: str, shown: Iterable[str] = FULL_VIEW
) -> None:
    """Log what a read by ``user`` revealed of ``people`` (one statement)."""
    shown = tuple(shown)
    access_log(
        access_entry(channel=channel, record_type="person", record_id=person.pk, fields=fields, user=user)
        for person in people
        if (fields := person_revealed_fields(person, shown))
    )


def residences_access_log(*, user: Any, residences: Iterable[Residence], channel: str) -> None:
    """Log the rooms (sensitive) a read by ``user`` revealed (one statement)."""
    access_log(
        access_entry(
            channel=channel, record_type="residence", record_id=residence.pk, fields=["room"], user=user
        )
        for residence in residences
        if residence.room
    )
