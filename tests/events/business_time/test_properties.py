"""Properties over random starts and amounts: ``between`` inverts ``add``; ``add`` agrees with a minute-by-minute
count."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from apps.events.calendar import DEFAULT_HOURS
from tests.events.business_time import CAL, DAY, HOUR, NEW_YORK, SH

# -- properties ------------------------------------------------------------------------------------------------

_ZONES = (SH, ZoneInfo("UTC"), NEW_YORK, ZoneInfo("Europe/London"))
_BOUNDARIES = (dt.time(0), dt.time(8, 30), dt.time(12), dt.time(14), dt.time(17, 30))


def _random_start(rng: random.Random) -> dt.datetime:
    """A start in 2025-01-01 .. 2026-08-31 (so that 60 working days later is still in the library's data),
    often exactly on a period boundary, expressed in a random timezone."""
    day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(608))
    if rng.random() < 0.3:
        local = dt.datetime.combine(day, rng.choice(_BOUNDARIES), tzinfo=SH)
    else:
        local = dt.datetime.combine(day, dt.time(0), tzinfo=SH) + dt.timedelta(
            seconds=rng.randrange(86400), microseconds=rng.randrange(1_000_000) if rng.random() < 0.3 else 0
        )
    return local.astimezone(rng.choice(_ZONES))


def _random_amount(rng: random.Random) -> float:
    kind = rng.random()
    if kind < 0.25:
        return float(rng.randint(1, 60) * DAY)  # whole working days, ends on the time of day or a closing
    if kind < 0.5:
        return rng.choice((1.0, 60.0, 0.5 * HOUR, 3.5 * HOUR, 3.5 * HOUR + 1, DAY - 1.0))
    if kind < 0.75:
        return rng.uniform(1e-3, 2 * DAY)
    return rng.uniform(1e-3, 60 * DAY)


def _in_business_time(moment: dt.datetime) -> bool:
    local = moment.astimezone(SH)
    if not chinese_calendar.is_workday(local.date()):
        return False
    return any(opens <= local.time() <= closes for opens, closes in DEFAULT_HOURS)


def test_between_inverts_add() -> None:
    rng = random.Random(20251001)
    for _ in range(500):
        start = _random_start(rng)
        amount = _random_amount(rng)
        end = CAL.add(start, amount)
        assert end.tzinfo == SH
        assert end > start
        assert end.year <= 2026
        assert _in_business_time(end), (start, amount, end)
        # Exact up to the microsecond rounding of the amount itself.
        assert CAL.between(start, end) == pytest.approx(amount, abs=1e-6), (start, amount, end)
        assert CAL.between(start, end) == dt.timedelta(seconds=amount).total_seconds()
        # Monotonic, and additive: adding in two steps reaches the same instant.
        first = rng.uniform(1.0, amount) if amount > 1 else amount
        two_steps = CAL.add(CAL.add(start, first), amount - first)
        assert abs(two_steps - end) <= dt.timedelta(microseconds=2), (start, first, amount)


def test_add_agrees_with_a_minute_by_minute_count() -> None:
    """An independent reference: walk minute by minute over the library's data and count business minutes."""

    workdays: dict[dt.date, bool] = {}

    def reference(start: dt.datetime, minutes: int) -> dt.datetime:
        moment = start
        while True:
            local = moment.astimezone(SH)
            day = local.date()
            if day not in workdays:
                workdays[day] = chinese_calendar.is_workday(day)
            if workdays[day] and any(opens <= local.time() < closes for opens, closes in DEFAULT_HOURS):
                minutes -= 1
                if minutes == 0:
                    return moment + dt.timedelta(minutes=1)
            moment += dt.timedelta(minutes=1)

    rng = random.Random(20260214)
    for _ in range(80):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))
        start = dt.datetime.combine(day, dt.time(0), tzinfo=SH) + dt.timedelta(minutes=rng.randrange(1440))
        minutes = rng.randint(1, 2 * 420)
        assert CAL.add(start, minutes * 60) == reference(start, minutes), (start, minutes)
