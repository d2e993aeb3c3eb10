"""Fixtures for statistics tests: events driven through the real event services with the clock pinned."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.gis.geos import Point

from apps.accounts.models import Role, User
from apps.departments.models import Department
from apps.events.lifecycle import Actor
from apps.events.models import Event, EventCategory
from apps.events.services import events_scan_overdue
from apps.events.services.actions import ActionInput, event_act
from apps.events.services.reporting import ReportInput, event_report
from tests.events.conftest import reporter, routing  # noqa: F401 - fixtures shared with the event tests

CST = dt.timezone(dt.timedelta(hours=8))
XA = (118.0230, 24.4850)  # 新垵村 grid 01: dispute_neighbour goes to HC-XY-XA-CW (community)


def spot(index: int) -> tuple[float, float]:
    """Points of 新垵村 grid 01 440 m apart (beyond the duplicate radius), 0 ≤ index < 8."""
    return (118.0230, 24.4850 + 0.004 * (index % 8))


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


class Story:
    """Drives events through the services as the department, the dispatcher and the reporter would."""

    def __init__(self, reporting_worker: User, dispatcher: User) -> None:
        self.reporter, self.dispatcher = reporting_worker, dispatcher

    def report(
        self, when: dt.datetime, category: str = "dispute_neighbour", point: tuple[float, float] = XA
    ) -> Event:
        with time_machine.travel(when, tick=False):
            outcome = event_report(
                report=ReportInput(category=EventCategory.objects.get(pk=category), title="事件",
                                   location=Point(*point, srid=4326)),
                reporter=self.reporter,
            )  # fmt: skip
        return outcome.event

    def actor(self, event: Event, kind: str) -> Actor:
        if kind == "department":
            department = Department.objects.get(pk=Event.objects.get(pk=event.pk).department_id)
            return Actor("department", department=department, label=department.code)
        if kind == "dispatcher":
            return Actor("dispatcher", user=self.dispatcher, label="dispatcher")
        return Actor("worker", user=self.reporter, label="worker")

    def act(
        self, event: Event, when: dt.datetime, action: str, by: str, note: str = "说明", **params: Any
    ) -> Event:
        with time_machine.travel(when, tick=False):
            return event_act(event=event, actor=self.actor(event, by), expected_version=None, now=when,
                             action=ActionInput(action, note=note, params=params))  # fmt: skip

    def scan(self, when: dt.datetime) -> None:
        with time_machine.travel(when, tick=False):
            events_scan_overdue(now=when)


@pytest.fixture
def story(routing: dict[str, Department], reporter: User, make_user: Callable[..., User]) -> Story:  # noqa: F811
    return Story(reporter, make_user(Role.ADMIN))
