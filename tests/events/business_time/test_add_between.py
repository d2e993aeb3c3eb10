"""Adding business time to an instant and measuring it between two, in any time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.events.calendar import MAX_IDLE_DAYS, WorkCalendar
from tests.events.business_time import CAL, DAY, HOUR, NEW_YORK, SH, at

# -- add -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Fri 16:30 + 3 h: 1 h to 17:30, then 2 h from Mon 08:30 (before lunch).
        (at(2025, 6, 13, 16, 30), 3, at(2025, 6, 16, 10, 30)),
        # Fri 16:30 + 5 h: 1 h on Friday, 3.5 h Monday morning, 0.5 h after lunch.
        (at(2025, 6, 13, 16, 30), 5, at(2025, 6, 16, 14, 30)),
        # Before opening: counting starts at 08:30.
        (at(2025, 6, 16, 7), 1, at(2025, 6, 16, 9, 30)),
        # At lunch: counting starts at 14:00.
        (at(2025, 6, 16, 12, 30), 1, at(2025, 6, 16, 15)),
        # Exactly at the lunch break: the morning is used up.
        (at(2025, 6, 16, 12), 1, at(2025, 6, 16, 15)),
        # After closing: counting starts at 08:30 the next working day.
        (at(2025, 6, 16, 20), 1, at(2025, 6, 17, 9, 30)),
        # On a Saturday: counting starts on Monday.
        (at(2025, 6, 14, 10), 0.5, at(2025, 6, 16, 9)),
        # Across lunch: 11:00 + 2 h is 1 h before and 1 h after.
        (at(2025, 6, 16, 11), 2, at(2025, 6, 16, 15)),
        # Inside a holiday: counting starts when it ends (Thu 2025-10-09).
        (at(2025, 10, 3, 10), 1, at(2025, 10, 9, 9, 30)),
        # Minutes: 17:20 + 20 min is 10 min on Monday and 10 min on Tuesday.
        (at(2025, 6, 16, 17, 20), 1 / 3, at(2025, 6, 17, 8, 40)),
    ],
)
def test_add_hours(start: dt.datetime, hours: float, expected: dt.datetime) -> None:
    assert CAL.add_hours(start, hours) == expected
    assert CAL.add(start, hours * HOUR) == expected


def test_add_ending_exactly_at_a_closing_time_stays_on_that_day() -> None:
    # The deadline is the instant the last second of business time elapses.
    result = CAL.add_working_days(at(2025, 6, 10, 8, 30), 1)
    assert result == at(2025, 6, 10, 17, 30)
    assert CAL.add_hours(at(2025, 6, 10, 8, 30), 3.5) == at(2025, 6, 10, 12)
    # Fri 14:00 + 3.5 h ends at Friday's close, not Monday's opening.
    assert CAL.add_hours(at(2025, 6, 13, 14), 3.5) == at(2025, 6, 13, 17, 30)


def test_add_working_days_keeps_the_time_of_day() -> None:
    # Fri 10:00 + 1 working day = Mon 10:00; + 5 = the next Friday 10:00.
    assert CAL.add_working_days(at(2025, 6, 13, 10), 1) == at(2025, 6, 16, 10)
    assert CAL.add_working_days(at(2025, 6, 13, 10), 5) == at(2025, 6, 20, 10)
    # Half a working day is 3.5 h: Mon 10:00 → 12:00 (2 h) + 1.5 h → 15:30.
    assert CAL.add_working_days(at(2025, 6, 16, 10), 0.5) == at(2025, 6, 16, 15, 30)


def test_add_across_national_day_2025() -> None:
    # Tue Sep 30 16:00 + 7 h: 1.5 h on Sep 30; Oct 1–8 off; Thu Oct 9: 3.5 h to 12:00, then 2 h to 16:00.
    assert CAL.add_working_days(at(2025, 9, 30, 16), 1) == at(2025, 10, 9, 16)
    # Fri Sep 26 16:00 + 7 h: 1.5 h on Friday; Sat 27 off; Sun 28 is a make-up working day: 12:00 + 2 h.
    assert CAL.add_working_days(at(2025, 9, 26, 16), 1) == at(2025, 9, 28, 16)
    # Thu Oct 9 09:00 + 21 h: 6.5 h Thu, 7 h Fri 10, 7 h Sat 11 (make-up), Sun 12 off, 0.5 h Mon 13.
    assert CAL.add_working_days(at(2025, 10, 9, 9), 3) == at(2025, 10, 13, 9)


def test_add_across_national_day_2026() -> None:
    # Wed Sep 30 14:00 + 14 h: 3.5 h on Sep 30; Oct 1–7 off; 7 h Thu Oct 8; 3.5 h Fri Oct 9 ends at 12:00.
    assert CAL.add_working_days(at(2026, 9, 30, 14), 2) == at(2026, 10, 9, 12)
    # + 21 h: the last 3.5 h fall on Sat Oct 10, a make-up working day.
    assert CAL.add_working_days(at(2026, 9, 30, 14), 3) == at(2026, 10, 10, 12)


def test_add_follows_overrides() -> None:
    # Thu Oct 9 09:00 + 21 h leaves 7.5 h after Fri Oct 10. Without the make-up Saturday Oct 11: 7 h on
    # Mon 13, 0.5 h on Tue 14; with a typhoon closure on Mon 13 as well: 7 h on Tue 14, 0.5 h on Wed 15.
    no_saturday = WorkCalendar(overrides={dt.date(2025, 10, 11): False})
    assert no_saturday.add_working_days(at(2025, 10, 9, 9), 3) == at(2025, 10, 14, 9)
    no_saturday_no_monday = WorkCalendar(
        overrides={dt.date(2025, 10, 11): False, dt.date(2025, 10, 13): False}
    )
    assert no_saturday_no_monday.add_working_days(at(2025, 10, 9, 9), 3) == at(2025, 10, 15, 9)
    # A worked holiday: Oct 8 2025 as a working day, so Sep 30 16:00 + 7 h ends Oct 8 16:00.
    worked = WorkCalendar(overrides={dt.date(2025, 10, 8): True})
    assert worked.add_working_days(at(2025, 9, 30, 16), 1) == at(2025, 10, 8, 16)


def test_add_zero_returns_start_unchanged() -> None:
    saturday_night = at(2025, 6, 14, 23, 15)
    assert CAL.add(saturday_night, 0) == saturday_night
    assert CAL.add_working_days(saturday_night, 0) == saturday_night
    utc_start = dt.datetime(2025, 6, 14, 15, 15, tzinfo=dt.UTC)
    result = CAL.add(utc_start, 0)
    assert result == utc_start
    assert result.tzinfo == SH


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_add_refuses_negative_and_non_finite_amounts(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        CAL.add(at(2025, 6, 16, 10), seconds)


def test_add_is_exact_to_the_microsecond() -> None:
    assert CAL.add(at(2025, 6, 16, 11, 59), 60.000001) == dt.datetime(2025, 6, 16, 14, 0, 0, 1, tzinfo=SH)


def test_add_gives_up_when_no_business_time_exists() -> None:
    first = dt.date(2025, 1, 1)
    calendar = WorkCalendar(
        overrides={first + dt.timedelta(days=n): False for n in range(MAX_IDLE_DAYS + 10)}
    )
    with pytest.raises(ValueError, match="no business time"):
        calendar.add(at(2025, 1, 1, 9), 1)


# -- time zones and naive datetimes ----------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2025, 6, 16, 10)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(naive, HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(naive, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.between(naive, at(2025, 6, 17))
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.between(at(2025, 6, 15), naive)


def test_other_timezones_are_converted_to_shanghai() -> None:
    # Mon 2025-06-16 00:30 UTC is 08:30 in Shanghai.
    result = CAL.add_hours(dt.datetime(2025, 6, 16, 0, 30, tzinfo=dt.UTC), 1)
    assert result == at(2025, 6, 16, 9, 30)
    assert result.tzinfo == SH
    assert (result.hour, result.minute) == (9, 30)
    # Fri 2025-06-13 20:00 in New York (EDT, UTC-4) is already Sat 08:00 in Shanghai: no time left on Friday.
    friday_evening_new_york = at(2025, 6, 13, 20, tz=NEW_YORK)
    assert CAL.add_hours(friday_evening_new_york, 1) == at(2025, 6, 16, 9, 30)
    # Fri 2025-06-13 03:30 in New York is 15:30 in Shanghai: 2 h left on Friday.
    assert CAL.between(at(2025, 6, 13, 3, 30, tz=NEW_YORK), at(2025, 6, 14, tz=SH)) == 2 * HOUR
    # Mixed zones: New York Sun 2025-06-15 20:30 EDT is Mon 08:30 in Shanghai, +1 h → 09:30.
    assert CAL.between(at(2025, 6, 15, 20, 30, tz=NEW_YORK), at(2025, 6, 16, 9, 30)) == HOUR


def test_calendar_in_another_timezone() -> None:
    # A calendar kept in UTC reads business hours as UTC wall-clock times.
    utc_calendar = WorkCalendar(tz=ZoneInfo("UTC"))
    result = utc_calendar.add_hours(at(2025, 6, 16, 8, 30), 1)  # 00:30 UTC: before opening
    assert result == dt.datetime(2025, 6, 16, 9, 30, tzinfo=dt.UTC)
    assert result.tzinfo == ZoneInfo("UTC")


# -- between ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Over a weekend: 1 h Friday, 2 h Monday.
        (at(2025, 6, 13, 16, 30), at(2025, 6, 16, 10, 30), 3 * HOUR),
        # A partial day across lunch: 10–12 and 14–15.
        (at(2025, 6, 16, 10), at(2025, 6, 16, 15), 3 * HOUR),
        # Within the lunch break.
        (at(2025, 6, 16, 12, 10), at(2025, 6, 16, 13, 50), 0),
        # A full day, ending exactly at closing time.
        (at(2025, 6, 16, 8, 30), at(2025, 6, 16, 17, 30), DAY),
        # Midnight to midnight is a full day.
        (at(2025, 6, 16), at(2025, 6, 17), DAY),
        # Over the 2025 National Day holiday: 1.5 h on Sep 30, 5.5 h on Oct 9.
        (at(2025, 9, 30, 16), at(2025, 10, 9, 16), DAY),
        # Inside the holiday only.
        (at(2025, 10, 1), at(2025, 10, 9), 0),
        # Over a make-up Sunday: 0.5 h Fri Sep 26, Sat off, 7 h Sun Sep 28, 0.5 h Mon Sep 29.
        (at(2025, 9, 26, 17), at(2025, 9, 29, 9), 8 * HOUR),
        # 2026 Spring Festival: Feb 13, Sat 14, Tue 24–Fri 27, Sat 28 are the only working days (7 of them).
        (at(2026, 2, 13, 8, 30), at(2026, 3, 2, 8, 30), 7 * DAY),
        # Seconds and minutes.
        (at(2025, 6, 16, 11, 59), dt.datetime(2025, 6, 16, 14, 0, 30, tzinfo=SH), 90),
    ],
)
def test_between(start: dt.datetime, end: dt.datetime, expected: float) -> None:
    assert CAL.between(start, end) == expected


def test_between_is_zero_when_end_is_not_after_start() -> None:
    assert CAL.between(at(2025, 6, 16, 10), at(2025, 6, 16, 10)) == 0
    assert CAL.between(at(2025, 6, 16, 11), at(2025, 6, 16, 10)) == 0
    assert CAL.between(at(2025, 6, 17, 10), at(2025, 6, 13, 10)) == 0


def test_between_follows_overrides() -> None:
    # Mon 2025-06-16 closed: Fri 16:30 → Tue 10:30 is 1 h Friday and 2 h Tuesday.
    calendar = WorkCalendar(overrides={dt.date(2025, 6, 16): False})
    assert calendar.between(at(2025, 6, 13, 16, 30), at(2025, 6, 17, 10, 30)) == 3 * HOUR
