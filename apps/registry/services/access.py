"""Writing the access log when personal data is shown to a user in full."""

from collections.abc import Iterable
from typing import Any

from apps.journal.services import access_entry, access_log

from ..models import Person


def person_revealed_fields(person: Person) -> list[str]:
    """The sensitive and special fields a full view of ``person`` shows (those that hold a value)."""
    held = {
        "id_number": person.id_number_sealed, "phone": person.phone_sealed, "passport_number": person.passport_sealed,
        "tags": person.tags, "location": person.location,
    }  # fmt: skip
    return [name for name, value in held.items() if value]


def people_access_log(*, user: Any, people: Iterable[Person], channel: str) -> None:
    """One access-log row per person shown in full to ``user`` (one query)."""
    access_log(
        access_entry(channel=channel, record_type="person", record_id=person.pk, fields=fields, user=user)
        for person in people
        if (fields := person_revealed_fields(person))
    )
