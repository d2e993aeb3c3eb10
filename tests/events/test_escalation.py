"""Deadlines on the working-day calendar and escalation, with the clock pinned: across a weekend, a make-up
working Saturday (调休), a suspension; the overdue scan is idempotent."""

import datetime as dt
from typing import Any

import time_machine

from apps.events.models import CalendarOverride, Event, EventNotice, TimelineEntry
from apps.events.services import events_scan_overdue
from tests.events.conftest import act, report

CST = dt.timezone(dt.timedelta(hours=8))


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def scan(when: dt.datetime) -> tuple[int, int]:
    with time_machine.travel(when, tick=False):
        result = events_scan_overdue()
    return result.marked, result.escalated


def notices(event_id: Any) -> list[tuple[str, str]]:
    return sorted(EventNotice.objects.filter(event_id=event_id).values_list("kind", "department__code"))


def test_sign_deadline_runs_into_a_make_up_saturday_and_escalates_after_the_weekend(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    # 2026: National Day holiday 1–7 October, Saturday 10 October is a make-up working day (调休).
    with time_machine.travel(at(2026, 10, 9, 16, 30), tick=False):  # Friday 16:30
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]  # 2 business hours to sign
    event = Event.objects.get(pk=event_id)
    assert event.department.code == "HC-XY-XA-CW"
    assert event.sign_by == at(2026, 10, 10, 9, 30)  # one hour on Friday, one on the working Saturday

    assert scan(at(2026, 10, 10, 9, 29)) == (0, 0)
    assert scan(at(2026, 10, 10, 9, 31)) == (1, 0)
    assert scan(at(2026, 10, 10, 9, 40)) == (0, 0)  # running again marks nothing twice
    event.refresh_from_db()
    assert event.overdue and event.reminder_count == 1
    # 7 business hours of grace: 5 h 59 min on Saturday, Sunday is off, 1 h 01 min on Monday
    assert event.escalate_at == at(2026, 10, 12, 9, 31)
    assert notices(event_id) == [("event.dispatched", "HC-XY-XA-CW"), ("event.overdue", "HC-XY-XA-CW"),
                                 ("event.reminder", "HC-XY-XA-CW")]  # fmt: skip
    assert EventNotice.objects.filter(event_id=event_id).count() == 3

    assert scan(at(2026, 10, 11, 12, 0)) == (0, 0)  # Sunday: the grace period is not over
    assert scan(at(2026, 10, 12, 9, 32)) == (0, 1)
    assert scan(at(2026, 10, 12, 9, 33)) == (0, 0)  # escalated once, not twice
    event.refresh_from_db()
    assert event.level == "subdistrict" and event.department.code == "HC-SF-XY"
    assert event.status == "dispatched" and event.escalation_count == 1 and not event.overdue
    assert event.sign_by == at(2026, 10, 12, 11, 32)
    escalation = TimelineEntry.objects.get(event_id=event_id, action="escalate")
    assert escalation.data["escalated_from"] == "HC-XY-XA-CW" and escalation.data["from_level"] == "community"
    assert escalation.actor_label == "system"
    assert [n for n in notices(event_id) if n[1] == "HC-SF-XY"] == [("event.dispatched", "HC-SF-XY"),
                                                                    ("event.escalated", "HC-SF-XY")]  # fmt: skip
    # the community committee no longer sees it; the justice office does
    assert department_client("HC-XY-XA-CW").get(f"/api/v1/events/{event_id}/").status_code == 404
    assert department_client("HC-SF-XY").get(f"/api/v1/events/{event_id}/").status_code == 200


def test_handle_deadline_across_a_weekend_and_suspension(routing: Any, api_client: Any, reporter: Any,
                                                         department_client: Any) -> None:  # fmt: skip
    community = department_client("HC-XY-XA-CW")
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):  # Friday
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]
    with time_machine.travel(at(2026, 11, 20, 15, 30), tick=False):
        act(community, event_id, "sign")
    event = Event.objects.get(pk=event_id)
    assert event.handle_by == at(2026, 11, 27, 15, 30)  # 5 working days of 7 hours, Saturday and Sunday off

    with time_machine.travel(at(2026, 11, 26, 10, 0), tick=False):  # Thursday: suspended for a day
        act(community, event_id, "suspend", note="等待鉴定")
    assert scan(at(2026, 11, 27, 16, 0)) == (0, 0)  # suspended: the clock does not run
    with time_machine.travel(at(2026, 11, 27, 10, 0), tick=False):
        act(community, event_id, "resume")
    event.refresh_from_db()
    assert event.handle_by == at(2026, 11, 30, 15, 30)  # 7 business hours later: Monday 15:30
    assert scan(at(2026, 11, 30, 15, 29)) == (0, 0)
    assert scan(at(2026, 11, 30, 15, 31)) == (1, 0)
    assert scan(at(2026, 12, 1, 15, 30)) == (0, 0)
    assert scan(at(2026, 12, 1, 15, 32)) == (0, 1)
    event.refresh_from_db()
    assert event.level == "subdistrict" and event.department.code == "HC-SF-XY" and event.signed_at is None


def test_an_administrator_override_counts(routing: Any, api_client: Any, reporter: Any) -> None:
    CalendarOverride.objects.create(date=dt.date(2026, 11, 23), is_workday=False, note="台风停工")
    with time_machine.travel(at(2026, 11, 20, 17, 0), tick=False):  # Friday 17:00
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]
    # 30 minutes on Friday; Monday is a day off by override; 1 h 30 min on Tuesday
    assert Event.objects.get(pk=event_id).sign_by == at(2026, 11, 24, 10, 0)


def test_the_city_level_cannot_escalate_further(
    routing: Any, api_client: Any, reporter: Any, dispatcher_of: Any
) -> None:
    dispatcher = api_client(dispatcher_of("350205"))
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]
        act(dispatcher, event_id, "raise_level", level="city")
    assert scan(at(2026, 11, 16, 11, 1)) == (1, 0)
    assert scan(at(2026, 11, 18, 11, 1)) == (0, 0)
    event = Event.objects.get(pk=event_id)
    assert event.level == "city" and event.escalate_at is None and event.overdue
