"""Column helpers for change sources: what a page reads is text and numbers written by PostgreSQL.

Making ``uuid.UUID``, ``date`` and ``datetime`` objects only to turn them back into strings, and Django's
per-row dictionaries and conversions, cost more than the query itself; text columns in tuples skip them.
"""

import datetime as dt
from typing import Any

from django.db.models import F, FloatField, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

NULL = Value(None, output_field=TextField())
# Every row of a source starts with these columns, in this order (then version and updated_at); the
# source's own columns follow.
ID, MERGED_INTO, GRID, OWNER, VERSION, UPDATED = 0, 1, 2, 3, 4, 5


def text(name: str) -> Cast:
    """A column as text: ids and dates come back as the strings a page sends, not as objects to format again."""
    return Cast(name, TextField())


def updated(name: str = "updated_at") -> Func:
    """A timestamp as ISO 8601 text in UTC, written by PostgreSQL: loading a timestamp and formatting it
    again is the largest cost of a page after the query itself."""
    utc = Func(Value("UTC"), F(name), function="timezone")
    return Func(
        utc, Value('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), function="to_char", output_field=TextField()
    )


def day(name: str) -> Func:
    """A date column as ``YYYY-MM-DD`` text (whatever the session's DateStyle)."""
    return Func(F(name), Value("YYYY-MM-DD"), function="to_char", output_field=TextField())


def coordinates(name: str = "location") -> list[Func]:
    """Longitude and latitude computed by PostGIS: no geometry objects on the hot path."""
    return [
        Func(F(name), function="ST_X", output_field=FloatField()),
        Func(F(name), function="ST_Y", output_field=FloatField()),
    ]


def point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    return None if lon is None else {"type": "Point", "coordinates": [round(lon, 7), round(lat or 0.0, 7)]}


def instant(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def any_of(ids: list[str]) -> RawSQL:
    """``ids`` as one array parameter: a thousand placeholders cost more to bind than the query to run."""
    return RawSQL("SELECT unnest(%s::text[]::uuid[])", [ids])


def envelope(
    kind: str, row: tuple[Any, ...], data: dict[str, Any], geometry: dict[str, Any] | None
) -> dict[str, Any]:
    """The change envelope of a record from its row's head and its ``data``."""
    return {"type": kind, "id": row[ID], "version": row[VERSION], "updated_at": row[UPDATED], "deleted": False,
            "geometry": geometry, "data": data}  # fmt: skip


def tombstone(kind: str, record_id: Any, reason: str, merged_into: Any = None) -> dict[str, Any]:
    stone = {"type": kind, "id": str(record_id), "deleted": True, "reason": reason}
    if merged_into is not None:
        stone["merged_into"] = str(merged_into)
    return stone
