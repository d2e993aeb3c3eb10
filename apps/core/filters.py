"""The filter backend of every list: parsed filter values are made safe for the database before any query.

django-filter parses ``?since=0678-11-24T16:01:52+21:10`` into a valid Python datetime, but PostgreSQL refuses
a zone offset beyond ±15:59 and the refusal aborts the transaction the request runs in. A filter time whose
offset no zone on earth has (beyond ±14:00) is a field error, every other time is compared in UTC, a time
that has no UTC form in the representable years is a field error, and so is a number beyond a 64-bit
integer. What the
form refuses already (NUL in text, an unparsable date, a malformed UUID) stays a field error as before.
"""

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

INT64_MAX = 2**63 - 1
# The widest offset any zone uses (UTC+14, Line Islands; UTC-12 is the other end).
WIDEST_ZONE_OFFSET = dt.timedelta(hours=14)


class OutOfRangeError(ValueError):
    """A filter or cursor value the database cannot store or compare."""


def utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; ``OutOfRangeError`` when that falls outside years 1–9999."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise OutOfRangeError(_("This time is outside the years 1–9999 in UTC.")) from exc


def _finite(value: Decimal | float) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def safe_value(value: Any) -> Any:
    """``value`` as the database may compare it (times in UTC), or ``OutOfRangeError``.

    Lists, tuples and slices (range filters) are checked item by item.
    """
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if offset is not None and abs(offset) > WIDEST_ZONE_OFFSET:
            raise OutOfRangeError(_("No time zone is more than 14 hours from UTC."))
        return utc(value)
    if isinstance(value, Decimal | float) and not _finite(value):
        raise OutOfRangeError(_("This number is out of range."))
    if isinstance(value, Decimal | int | float) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise OutOfRangeError(_("This number is out of range."))
    if isinstance(value, list | tuple):
        return type(value)(safe_value(item) for item in value)
    if isinstance(value, slice):
        return slice(safe_value(value.start), safe_value(value.stop), value.step)
    return value


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend with every parsed value checked and normalised by ``safe_value``."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if filterset.is_valid():
            cleaned = filterset.form.cleaned_data
            for name, value in list(cleaned.items()):
                try:
                    cleaned[name] = safe_value(value)
                except OutOfRangeError as exc:
                    filterset.form.add_error(name, str(exc))
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        return filterset.qs
