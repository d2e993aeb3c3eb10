"""Duplicate reports: attached to the open event of the same family nearby and recently, split out again on
a dispatcher's word; two devices reporting the same thing at once make one event."""

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import connection

from apps.events.models import Event, EventReport
from apps.events.selectors import active_category
from apps.events.services import ReportInput, event_report
from tests.events.conftest import XA, act, report, shifted

CST = dt.timezone(dt.timedelta(hours=8))


def test_a_second_report_nearby_is_attached(
    routing: Any, api_client: Any, reporter: Any, worker_of: Any
) -> None:
    first = report(api_client(reporter), "fire_ebike_charging")
    colleague = api_client(worker_of("HC-XY-XA-01"))
    second = colleague.post("/api/v1/events/", {"category": "fire_rental", "title": "楼道充电",
                                                "location": {"type": "Point", "coordinates": list(shifted(XA, 30, 20))}},
                            format="json")  # fmt: skip
    assert second.status_code == 200
    body = second.json()
    assert body["outcome"] == "merged" and body["id"] == first["id"] and body["merged_into"] == first["id"]
    assert body["match"]["reasons"][1] == "相距 36 米"
    event = Event.objects.get(pk=first["id"])
    assert event.report_count == 2 and event.version == 2
    assert EventReport.objects.filter(event=event).count() == 2


def test_priority_rises_with_reports(routing: Any, api_client: Any, reporter: Any) -> None:
    client = api_client(reporter)
    ids = {report(client, "sanitation_garbage", shifted(XA, i * 5))["id"] for i in range(5)}
    assert len(ids) == 1
    event = Event.objects.get(pk=ids.pop())
    assert event.report_count == 5 and event.priority == 2


@pytest.mark.parametrize(
    ("category", "east_m", "hours_later", "same"),
    [
        ("dispute_family", 40, 1, True),  # radius 50 m
        ("dispute_family", 60, 1, False),  # beyond the category's radius
        ("fire_rental", 10, 1, False),  # another family
        ("dispute_family", 10, 80, False),  # beyond the 72-hour window
    ],
)
def test_radius_window_and_family_decide(routing: Any, api_client: Any, reporter: Any, category: str, east_m: float,
                                         hours_later: int, same: bool) -> None:  # fmt: skip
    start = dt.datetime(2026, 11, 16, 9, 0, tzinfo=CST)
    with time_machine.travel(start, tick=False):
        first = report(api_client(reporter), "dispute_neighbour")
    with time_machine.travel(start + dt.timedelta(hours=hours_later), tick=False):
        second = report(api_client(reporter), category, shifted(XA, east_m))
    assert (second["id"] == first["id"]) is same


def test_a_closed_event_takes_no_more_reports(routing: Any, api_client: Any, reporter: Any) -> None:
    client = api_client(reporter)
    closed = report(client, "fire_passage_blocked", resolved_on_site=True, photos=["b" * 64])
    again = report(client, "fire_passage_blocked")
    assert again["id"] != closed["id"] and again["outcome"] == "created"


def test_a_dispatcher_splits_a_wrongly_attached_report_out(routing: Any, api_client: Any, reporter: Any,
                                                           dispatcher_of: Any) -> None:  # fmt: skip
    client = api_client(reporter)
    first = report(client, "dispute_neighbour")
    submitted = "0193b000-0000-7000-8000-0000000000aa"
    attached = report(client, "dispute_family", shifted(XA, 20), id=submitted, title="夫妻争吵")
    assert attached["id"] == first["id"]
    dispatcher = api_client(dispatcher_of("HC-XY"))
    row = EventReport.objects.get(submitted_id=submitted)
    assert act(dispatcher, first["id"], "accept", expect=409)  # unrelated: the event is already dispatched
    split = dispatcher.post(f"/api/v1/events/{first['id']}/split/", {"report_id": str(row.pk), "note": "不同纠纷"},
                            format="json")  # fmt: skip
    assert split.status_code == 201, split.content
    assert split.json()["id"] == submitted and split.json()["status"] == "dispatched"
    assert Event.objects.get(pk=first["id"]).report_count == 1
    new = Event.objects.get(pk=submitted)
    assert new.category_id == "dispute_family" and new.reporter == reporter and new.title == "夫妻争吵"
    assert new.reports.get().is_original
    original = EventReport.objects.get(event_id=first["id"])
    refused = dispatcher.post(
        f"/api/v1/events/{first['id']}/split/", {"report_id": str(original.pk)}, format="json"
    )
    assert refused.status_code == 400
    # workers cannot split
    assert (
        client.post(
            f"/api/v1/events/{first['id']}/split/", {"report_id": str(original.pk)}, format="json"
        ).status_code
        == 403
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_the_same_thing_make_one_event(routing: Any, reporter: Any) -> None:
    category = active_category("fire_rental")
    barrier = threading.Barrier(8)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            barrier.wait()
            lon, lat = shifted(XA, i * 3, i * 2)
            outcome = event_report(report=ReportInput(category=category, title=f"r{i}", location=Point(lon, lat, srid=4326)),
                                   reporter=reporter)  # fmt: skip
            results.append(outcome.event.pk)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    event = Event.objects.get()
    assert event.report_count == 8 and EventReport.objects.filter(event=event).count() == 8


def test_an_attached_report_answers_the_id_it_was_given(routing: Any, api_client: Any, reporter: Any) -> None:
    client = api_client(reporter)
    first = report(client, "fire_rental")
    attached = report(client, "fire_rental", shifted(XA, 10))
    assert attached["id"] == first["id"] and attached["submitted_id"] != first["id"]
    assert EventReport.objects.filter(submitted_id=attached["submitted_id"], event_id=first["id"]).exists()
