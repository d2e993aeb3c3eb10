"""Working days: the library's data, make-up weekends, holidays, overrides, unknown years, hours."""

import datetime as dt
import logging

import chinese_calendar
import pytest

from apps.events import calendar as calendar_module
from apps.events.calendar import WorkCalendar
from tests.events.business_time import CAL, HOUR, at

# -- the data the tests rely on --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "weekday", "working"),
    [
        # 2025 National Day + Mid-Autumn: Oct 1–8 off, paid for by Sun Sep 28 and Sat Oct 11.
        (dt.date(2025, 9, 26), "Fri", True),
        (dt.date(2025, 9, 27), "Sat", False),
        (dt.date(2025, 9, 28), "Sun", True),
        (dt.date(2025, 9, 30), "Tue", True),
        (dt.date(2025, 10, 1), "Wed", False),
        (dt.date(2025, 10, 6), "Mon", False),
        (dt.date(2025, 10, 8), "Wed", False),
        (dt.date(2025, 10, 9), "Thu", True),
        (dt.date(2025, 10, 11), "Sat", True),
        (dt.date(2025, 10, 12), "Sun", False),
        # An ordinary June week (Dragon Boat was May 31–Jun 2).
        (dt.date(2025, 6, 13), "Fri", True),
        (dt.date(2025, 6, 14), "Sat", False),
        (dt.date(2025, 6, 15), "Sun", False),
        (dt.date(2025, 6, 16), "Mon", True),
        # 2026 Spring Festival: Feb 15–23 off, paid for by Sat Feb 14 and Sat Feb 28.
        (dt.date(2026, 2, 13), "Fri", True),
        (dt.date(2026, 2, 14), "Sat", True),
        (dt.date(2026, 2, 16), "Mon", False),
        (dt.date(2026, 2, 23), "Mon", False),
        (dt.date(2026, 2, 24), "Tue", True),
        (dt.date(2026, 2, 28), "Sat", True),
        # 2026 National Day: Oct 1–7 off, Sat Oct 10 worked (Sun Sep 20 too).
        (dt.date(2026, 9, 20), "Sun", True),
        (dt.date(2026, 9, 30), "Wed", True),
        (dt.date(2026, 10, 1), "Thu", False),
        (dt.date(2026, 10, 5), "Mon", False),
        (dt.date(2026, 10, 7), "Wed", False),
        (dt.date(2026, 10, 8), "Thu", True),
        (dt.date(2026, 10, 9), "Fri", True),
        (dt.date(2026, 10, 10), "Sat", True),
    ],
)
def test_library_data(day: dt.date, weekday: str, working: bool) -> None:
    assert day.strftime("%a") == weekday
    assert chinese_calendar.is_workday(day) is working
    assert CAL.is_workday(day) is working


def test_library_knows_2025_and_2026_but_not_2027() -> None:
    assert chinese_calendar.is_holiday(dt.date(2026, 10, 7))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 4))


# -- working days ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [dt.date(2025, 9, 28), dt.date(2025, 10, 11), dt.date(2026, 2, 14), dt.date(2026, 10, 10)],
    ids=["sun-2025-09-28", "sat-2025-10-11", "sat-2026-02-14", "sat-2026-10-10"],
)
def test_make_up_weekend_day_is_a_working_day(day: dt.date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)


@pytest.mark.parametrize(
    "day",
    [dt.date(2025, 1, 1), dt.date(2025, 10, 8), dt.date(2026, 2, 16), dt.date(2026, 10, 5)],
    ids=["wed-2025-01-01", "wed-2025-10-08", "mon-2026-02-16", "mon-2026-10-05"],
)
def test_statutory_holiday_on_a_weekday_is_not_a_working_day(day: dt.date) -> None:
    assert day.weekday() < 5
    assert not CAL.is_workday(day)


def test_override_beats_the_library_both_ways() -> None:
    calendar = WorkCalendar(
        overrides={
            dt.date(2025, 10, 11): False,  # make-up Saturday cancelled
            dt.date(2025, 10, 8): True,  # National Day holiday worked
            dt.date(2025, 7, 9): False,  # a typhoon closure on an ordinary Wednesday
            dt.date(2025, 7, 12): True,  # an ordinary Saturday worked
        }
    )
    assert not calendar.is_workday(dt.date(2025, 10, 11))
    assert calendar.is_workday(dt.date(2025, 10, 8))
    assert not calendar.is_workday(dt.date(2025, 7, 9))
    assert calendar.is_workday(dt.date(2025, 7, 12))
    # Days without an override still follow the library.
    assert calendar.is_workday(dt.date(2025, 9, 28))
    assert not calendar.is_workday(dt.date(2025, 10, 7))


def test_overrides_are_copied_on_construction() -> None:
    overrides = {dt.date(2025, 6, 16): False}
    calendar = WorkCalendar(overrides=overrides)
    overrides[dt.date(2025, 6, 16)] = True
    overrides[dt.date(2025, 6, 17)] = False
    assert not calendar.is_workday(dt.date(2025, 6, 16))
    assert calendar.is_workday(dt.date(2025, 6, 17))


def test_unknown_year_falls_back_to_monday_to_friday_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="apps.events.calendar")
    # 2027-01-01 is a Friday: certainly New Year's Day, but unknown to the library.
    assert CAL.is_workday(dt.date(2027, 1, 1))
    assert not CAL.is_workday(dt.date(2027, 1, 2))
    assert not CAL.is_workday(dt.date(2027, 1, 3))
    assert CAL.is_workday(dt.date(2027, 1, 4))
    assert CAL.is_workday(dt.date(2003, 12, 31))  # before the data starts (2004), a Wednesday
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "chinese_calendar has no holiday data for 2027",
        "chinese_calendar has no holiday data for 2003",
    ]


def test_override_in_an_unknown_year_wins_without_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="apps.events.calendar")
    calendar = WorkCalendar(overrides={dt.date(2027, 1, 1): False})
    assert not calendar.is_workday(dt.date(2027, 1, 1))
    assert caplog.records == []


def test_deadlines_in_an_unknown_year_use_monday_to_friday(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    # Fri 2027-01-08 17:00 + 1 h: 0.5 h on Friday, 0.5 h from Mon 2027-01-11 08:30.
    assert CAL.add_hours(at(2027, 1, 8, 17), 1) == at(2027, 1, 11, 9)


def test_is_workday_refuses_a_datetime() -> None:
    with pytest.raises(TypeError):
        CAL.is_workday(at(2025, 6, 16, 10))


def test_day_seconds() -> None:
    assert CAL.day_seconds() == 25200
    assert WorkCalendar(hours=((dt.time(9), dt.time(17)),)).day_seconds() == 8 * HOUR


@pytest.mark.parametrize(
    "hours",
    [
        (),
        ((dt.time(12), dt.time(8, 30)),),
        ((dt.time(9), dt.time(9)),),
        ((dt.time(8, 30), dt.time(12)), (dt.time(11), dt.time(17))),
        ((dt.time(14), dt.time(17)), (dt.time(8, 30), dt.time(12))),
        ((dt.time(8, 30, tzinfo=dt.UTC), dt.time(12)),),
        ((dt.time(8, 30, 0, 500), dt.time(12)),),
    ],
    ids=["empty", "reversed", "empty-period", "overlapping", "unordered", "tz-aware", "sub-second"],
)
def test_invalid_hours_are_refused(hours: tuple[tuple[dt.time, dt.time], ...]) -> None:
    with pytest.raises(ValueError, match="business"):
        WorkCalendar(hours=hours)


def test_datetime_override_keys_are_refused() -> None:
    with pytest.raises(TypeError):
        WorkCalendar(overrides={dt.datetime(2025, 6, 16): False})  # noqa: DTZ001
