"""Writing the journal (inside the caller's transaction)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from .models import JournalEntry


def journal_record(
    *,
    record_type: str,
    record_id: uuid.UUID,
    change: str,
    version: int = 0,
    grid_id: uuid.UUID | None = None,
    previous_grid_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    merged_into: uuid.UUID | None = None,
    actor: Any = None,
) -> JournalEntry:
    """Append one entry. Call it inside the transaction that makes the change, so both commit or neither."""
    return JournalEntry.objects.create(
        record_type=record_type,
        record_id=record_id,
        change=change,
        version=version,
        grid_id=grid_id,
        previous_grid_id=previous_grid_id if previous_grid_id != grid_id else None,
        fields=sorted(set(fields)),
        merged_into=merged_into,
        actor_id=getattr(actor, "pk", None) if isinstance(getattr(actor, "pk", None), uuid.UUID) else None,
    )


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """The columns of one ``AccessLogEntry`` to write (a plain record: a page of people makes a thousand)."""

    channel: str
    record_type: str
    record_id: Any
    fields: list[str]
    user_id: uuid.UUID | None
    department_id: Any
    subscription_id: Any
    purpose: str


def access_entry(
    *,
    channel: str,
    record_type: str,
    record_id: Any,
    fields: Iterable[str],
    user: Any = None,
    department_id: Any = None,
    subscription_id: Any = None,
    purpose: str = "",
) -> "AccessRecord":
    """An access-log row to write for a read that revealed ``fields`` (callers write them with ``access_log``)."""
    user_pk = getattr(user, "pk", None)
    return AccessRecord(
        channel=channel, record_type=record_type, record_id=record_id, fields=sorted(set(fields)),
        user_id=user_pk if isinstance(user_pk, uuid.UUID) else None,
        department_id=department_id or getattr(user, "department_id", None), subscription_id=subscription_id,
        purpose=purpose[:300],
    )  # fmt: skip


# Each column travels as one string, its values joined by the unit separator (U+001F), and is split by
# PostgreSQL: binding a thousand-element array quotes every element in Python, which cost more than the INSERT.
_SEPARATOR = "\x1f"
_ACCESS_INSERT = """
INSERT INTO journal_accesslogentry
    (user_id, department_id, subscription_id, purpose, channel, record_type, record_id, fields)
SELECT u::uuid, d::uuid, s::uuid, p, c, t, r::uuid, string_to_array(f, ',')
FROM unnest(
    (string_to_array(%(u)s, %(sep)s, ''))[2:], (string_to_array(%(d)s, %(sep)s, ''))[2:], (string_to_array(%(s)s, %(sep)s, ''))[2:],
    (string_to_array(%(p)s, %(sep)s))[2:], (string_to_array(%(c)s, %(sep)s))[2:], (string_to_array(%(t)s, %(sep)s))[2:],
    (string_to_array(%(r)s, %(sep)s))[2:], (string_to_array(%(f)s, %(sep)s))[2:]
) AS rows(u, d, s, p, c, t, r, f)
"""


def _joined(values: Iterable[Any]) -> str:
    # A leading separator (its empty element sliced off in SQL): a single empty value would split to no elements.
    return _SEPARATOR + _SEPARATOR.join(
        "" if value is None else str(value).replace(_SEPARATOR, " ") for value in values
    )


def access_log(entries: Iterable[AccessRecord]) -> None:
    """Write access-log rows in one statement.

    A feed page of people writes hundreds of rows; one INSERT over whole columns costs a fraction of building
    and binding them row by row (``bulk_create`` took two thirds of such a page's time).
    """
    rows = list(entries)
    if not rows:
        return
    columns = {
        "u": _joined(row.user_id for row in rows), "d": _joined(row.department_id for row in rows),
        "s": _joined(row.subscription_id for row in rows), "p": _joined(row.purpose for row in rows),
        "c": _joined(row.channel for row in rows), "t": _joined(row.record_type for row in rows),
        "r": _joined(row.record_id for row in rows), "f": _joined(",".join(row.fields) for row in rows),
        "sep": _SEPARATOR,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_ACCESS_INSERT, columns)
