"""Business time on the Chinese working-day calendar, for deadlines ("handle within 3 working days").

Deadlines of governance events are counted in working time, not wall-clock time: an event reported on Friday
evening with a 3-hour deadline is due on Monday morning, and the National Day holiday does not eat into anyone's
time limit. Which days are working days in China is not "Monday to Friday": statutory holidays fall on weekdays
and are paid for with make-up working Saturdays and Sundays (调休), published by the State Council once a year.
The ``chinese_calendar`` package carries that data; administrators can override any single day (a local
typhoon closure, a year the package does not know yet) and the override always wins.

Everything here is a pure function of its arguments: no database, no clock. Callers load the overrides and
pass them in, which keeps this module trivially testable and lets a Celery task and a request agree.

Time is measured in real elapsed seconds between aware instants (computed in UTC), so that ``add`` and
``between`` are exact inverses even in a timezone with daylight saving time; Asia/Shanghai has none.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

BusinessHours = tuple[tuple[dt.time, dt.time], ...]

# Office hours of Chinese government offices: 7 hours a day with a long lunch break.
DEFAULT_HOURS: BusinessHours = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 0), dt.time(17, 30)))
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

# How many consecutive days without business time ``add`` scans before giving up. Real calendars never come
# close (the longest Chinese holiday is 9 days); the limit only turns a pathological configuration (every day
# overridden as a holiday) into an error instead of a request that never returns.
MAX_IDLE_DAYS = 3660

_UTC = dt.UTC
_ZERO = dt.timedelta(0)
_ONE_DAY = dt.timedelta(days=1)

# Years for which the fallback (Monday to Friday) has already been logged: once per year and process is enough
# to tell operators to upgrade chinesecalendar or add overrides, without flooding the log on every deadline.
_warned_years: set[int] = set()


@functools.lru_cache(maxsize=8192)
def _statutory_workday(day: dt.date) -> bool | None:
    """Whether ``day`` is a working day by the State Council's arrangement, ``None`` if the year is unknown.

    Cached because ``chinese_calendar`` recomputes the range of years it knows on every call, and a deadline
    computation asks about the same few dozen days over and over.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _require_aware(value: dt.datetime, name: str) -> None:
    """Refuse naive datetimes: the working day of a naive time is a guess, and a wrong guess moves deadlines."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")


def _validate_hours(hours: BusinessHours) -> None:
    if not hours:
        raise ValueError("business hours must contain at least one period")
    previous_end: dt.time | None = None
    for opens, closes in hours:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("business hours are wall-clock times of the calendar's timezone, without tzinfo")
        if opens.microsecond or closes.microsecond:
            raise ValueError("business hours must be whole seconds")
        if not opens < closes:
            raise ValueError(f"business period {opens}–{closes} must open before it closes")
        if previous_end is not None and opens < previous_end:
            raise ValueError("business periods must be in order and must not overlap")
        previous_end = closes


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (Chinese statutory holidays and make-up working weekends, from chinese_calendar, with
    administrator overrides taking precedence) and business hours, in a timezone (default Asia/Shanghai).

    ``overrides`` maps a date to whether it is a working day; it is copied into a read-only mapping on
    construction, so a calendar never changes behind the back of a computation that holds it.

    Deadline convention: ``add`` returns the instant at which the last second of business time elapses. Adding
    exactly one working day from 08:30 therefore ends at 17:30 the same day, not at 08:30 the next day; the two
    are equivalent in business time, but the earlier one is what a person reads as "by the end of today".
    """

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    hours: BusinessHours = DEFAULT_HOURS
    tz: ZoneInfo = DEFAULT_TZ

    def __post_init__(self) -> None:
        for day in self.overrides:
            # A datetime key would never match the dates looked up, silently ignoring the override.
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise TypeError(f"override keys must be dates, not {type(day).__name__}")
        _validate_hours(self.hours)
        object.__setattr__(
            self, "overrides", MappingProxyType({d: bool(w) for d, w in self.overrides.items()})
        )
        object.__setattr__(self, "hours", tuple((opens, closes) for opens, closes in self.hours))

    # -- days -------------------------------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day: override, else the statutory calendar, else Monday to Friday.

        The fallback keeps deadlines computable in a year chinese_calendar does not know yet (the arrangement
        for next year is published in November, and the package follows some weeks later); it is logged once per
        year so that someone adds the year's holidays as overrides or upgrades the package.
        """
        if isinstance(day, dt.datetime):
            # Which calendar day a datetime falls on depends on the timezone; make the caller decide.
            raise TypeError(
                "is_workday() takes a date; convert the datetime to the calendar's timezone first"
            )
        override = self.overrides.get(day)
        if override is not None:
            return override
        statutory = _statutory_workday(day)
        if statutory is not None:
            return statutory
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinese_calendar has no holiday data for %s: treating Monday to Friday as working days; "
                "add the year's holidays as overrides or upgrade chinesecalendar",
                day.year,
            )
        return day.weekday() < 5

    def day_seconds(self) -> int:
        """Business seconds in one working day (25200, i.e. 7 hours, with the default hours).

        Nominal wall-clock length; on a daylight-saving transition day in a zone that has one, the real length
        of the day's business time can differ by the shift.
        """
        return sum(_time_seconds(closes) - _time_seconds(opens) for opens, closes in self.hours)

    # -- instants ---------------------------------------------------------------------------------------------

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant reached after ``seconds`` of business time counted from ``start``, in ``self.tz``.

        ``start`` may lie outside business hours: counting begins at the next business moment. The result is
        the instant the last second elapses, so it can be the closing time of a period (see the class
        docstring). ``seconds == 0`` returns ``start`` itself (converted to ``self.tz``), even outside business
        hours: nothing is due yet, and moving the instant would break ``between(s, add(s, 0)) == 0``.

        Amounts are rounded to the microsecond, the resolution of datetimes; all arithmetic after that is exact
        integer timedelta arithmetic, so ``between(start, add(start, x))`` gives back ``x`` to the microsecond.
        Steps one calendar day at a time (a 60-working-day limit is ~90 steps), never minute by minute.
        """
        _require_aware(start, "start")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite, non-negative number: {seconds!r}")
        remaining = dt.timedelta(seconds=seconds)
        if remaining == _ZERO:
            return start.astimezone(self.tz)
        cursor = start.astimezone(_UTC)
        day = start.astimezone(self.tz).date()
        idle_days = 0
        while True:
            found_time = False
            for opens, closes in self._periods(day):
                if closes <= cursor:
                    continue
                begin = max(opens, cursor)
                available = closes - begin
                found_time = True
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
            idle_days = 0 if found_time else idle_days + 1
            if idle_days > MAX_IDLE_DAYS:
                raise ValueError(f"no business time within {MAX_IDLE_DAYS} days after {start.isoformat()}")
            day += _ONE_DAY

    def add_working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        """``add`` of ``days`` full working days of business time: 1 day from 10:00 is 10:00 next working day."""
        return self.add(start, days * self.day_seconds())

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """``add`` of ``hours`` hours of business time."""
        return self.add(start, hours * 3600)

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds in ``[start, end)``; 0 when ``end <= start``.

        The inverse of ``add``: ``between(s, add(s, x)) == x`` for every ``x > 0`` (to the microsecond). Used
        for "how much of the time limit is used up" and for overdue durations.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        begin, finish = start.astimezone(_UTC), end.astimezone(_UTC)
        if finish <= begin:
            return 0.0
        total = _ZERO
        day, last_day = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last_day:
            for opens, closes in self._periods(day):
                overlap = min(closes, finish) - max(opens, begin)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
        return total.total_seconds()

    # -- helpers ----------------------------------------------------------------------------------------------

    def _periods(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The business periods of ``day`` as UTC instants, none on a non-working day.

        Wall-clock times are resolved with ``fold=0`` (the first occurrence of an ambiguous time); a period
        swallowed by a daylight-saving gap is skipped.
        """
        if not self.is_workday(day):
            return
        for opens, closes in self.hours:
            begin = dt.datetime.combine(day, opens, tzinfo=self.tz).astimezone(_UTC)
            end = dt.datetime.combine(day, closes, tzinfo=self.tz).astimezone(_UTC)
            if begin < end:
                yield begin, end


def _time_seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second
