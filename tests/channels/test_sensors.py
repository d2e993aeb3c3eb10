"""Sensor alarms: a sensor's repeats attach to its open event, a burst is one event, ``cleared`` notes the
event, a flapping sensor keeps one event even once it is closed."""

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from apps.channels.models import ChannelRequest, SensorAlarm
from apps.channels.services.sensors import AlarmIn, sensor_alarm_receive
from apps.events.models import Event, EventCategory, EventReport, TimelineEntry
from apps.journal.models import JournalEntry
from tests.channels.conftest import XA
from tests.registry.conftest import shifted

ALARMS = "/api/v1/channels/sensors/alarms/"
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def alarm(
    sensor: str = "SMK-001", level: str = "alarm", at: dt.datetime = NOW, **extra: Any
) -> dict[str, Any]:
    return {"sensor_id": sensor, "kind": extra.pop("kind", "smoke"), "level": level, "at": at.isoformat(),
            "lon": XA[0], "lat": XA[1], **extra}  # fmt: skip


def post(client: Any, alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post(ALARMS, {"alarms": alarms}, format="json")
    assert response.status_code == 200, response.content[:800]
    return list(response.json()["results"])


@time_machine.travel(NOW, tick=False)
def test_a_hundred_alarms_of_one_sensor_in_a_minute_are_one_event(sensors: Any, channel_client: Any,
                                                                  django_assert_max_num_queries: Any) -> None:  # fmt: skip
    client = channel_client(sensors[1])
    burst = [alarm(at=NOW + dt.timedelta(milliseconds=600 * i)) for i in range(100)]
    results = post(client, burst[:1])
    with django_assert_max_num_queries(8 * 99):  # a repeat is a handful of reads and writes
        results += post(client, burst[1:])
    assert [r["outcome"] for r in results] == ["created"] + ["attached"] * 99
    assert len({r["event_id"] for r in results}) == 1
    event = Event.objects.get()
    assert event.source == "sensor" and event.category_id == "fire_rental" and event.report_count == 1
    assert EventReport.objects.count() == 1
    episode = ChannelRequest.objects.get()
    assert episode.alarm_count == 100 and episode.sensor_id == "SMK-001"
    assert SensorAlarm.objects.count() == 100


@time_machine.travel(NOW, tick=False)
def test_two_sensors_make_two_requests(sensors: Any, channel_client: Any) -> None:
    results = post(channel_client(sensors[1]), [alarm("SMK-001"), alarm("WL-7", kind="water_level")])
    assert [r["outcome"] for r in results] == ["created", "created"]
    assert ChannelRequest.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_cleared_notes_the_open_event(sensors: Any, channel_client: Any) -> None:
    client = channel_client(sensors[1])
    [first] = post(client, [alarm()])
    version = Event.objects.get().version
    [cleared] = post(client, [alarm(level="cleared", at=NOW + dt.timedelta(minutes=5), message="烟感复位")])
    assert cleared["outcome"] == "cleared" and cleared["event_id"] == first["event_id"]
    note = TimelineEntry.objects.get(event_id=first["event_id"], action="sensor_cleared")
    assert note.note == "烟感复位" and note.actor_label == "物联感知平台"
    event = Event.objects.get()
    assert event.status == "dispatched"  # a cleared alarm does not close the case
    assert event.version == version + 1  # a new version: devices and feeds see the note
    # Journalled in the event's grid: the pull, the feeds and the webhooks read the journal.
    entry = JournalEntry.objects.get(record_id=event.pk, version=event.version)
    assert (entry.record_type, entry.change, entry.grid_id) == ("event", "updated", event.grid_id)


@time_machine.travel(NOW, tick=False)
def test_cleared_without_an_open_event_is_ignored(sensors: Any, channel_client: Any) -> None:
    [result] = post(channel_client(sensors[1]), [alarm(level="cleared")])
    assert result["outcome"] == "ignored" and not Event.objects.exists()


def test_after_the_window_a_new_alarm_is_a_new_event(sensors: Any, channel_client: Any) -> None:
    client = channel_client(sensors[1])
    with time_machine.travel(NOW, tick=False):
        [first] = post(client, [alarm()])
    later = NOW + dt.timedelta(hours=80)  # the category's window is 72 h
    with time_machine.travel(later, tick=False):
        [second] = post(client, [alarm(at=later, lon=shifted(XA, 400, 0)[0])])
    assert second["outcome"] == "created" and second["event_id"] != first["event_id"]


def test_a_flapping_sensor_keeps_one_event_after_it_is_closed(sensors: Any, channel_client: Any, settings: Any,
                                                              department_client: Any) -> None:  # fmt: skip
    settings.GRIDAPI_SENSOR_FLAPPING_PER_HOUR = 5
    client = channel_client(sensors[1])
    with time_machine.travel(NOW, tick=False):
        results = post(client, [alarm(at=NOW + dt.timedelta(minutes=i)) for i in range(4)])
        event = Event.objects.get()
        Event.objects.filter(pk=event.pk).update(status="cancelled")  # closed by a dispatcher, say
        more = post(client, [alarm(at=NOW + dt.timedelta(minutes=10 + i)) for i in range(3)])
    assert [r["outcome"] for r in results] == ["created"] + ["attached"] * 3
    assert [r["outcome"] for r in more] == ["flapping"] * 3
    assert Event.objects.count() == 1 and {r["event_id"] for r in more} == {str(event.pk)}


def test_a_closed_event_and_a_quiet_sensor_make_a_new_event(sensors: Any) -> None:
    channel, point = sensors[0], Point(*shifted(XA, 0, 300), srid=4326)
    with time_machine.travel(NOW, tick=False):
        first = sensor_alarm_receive(channel=channel, alarm=AlarmIn("S-9", "smoke", "alarm", NOW, point),
                                     category=EventCategory.objects.get(pk="fire_rental"))  # fmt: skip
        Event.objects.filter(pk=first.request.event_id).update(status="cancelled")  # type: ignore[union-attr]
        later = NOW + dt.timedelta(hours=2)
        second = sensor_alarm_receive(channel=channel, alarm=AlarmIn("S-9", "smoke", "alarm", later, point),
                                      category=EventCategory.objects.get(pk="fire_rental"))  # fmt: skip
    assert (first.outcome, second.outcome) == ("created", "created")
    assert second.request.event_id != first.request.event_id  # type: ignore[union-attr]


def test_an_unmapped_kind_without_triage_category_is_rejected(sensors: Any, channel_client: Any) -> None:
    [result] = post(channel_client(sensors[1]), [alarm(kind="earthquake", at=timezone.now())])
    assert result["outcome"] == "rejected" and "kind" in result["errors"]


def test_bad_alarms_are_rejected_one_by_one(sensors: Any, channel_client: Any) -> None:
    results = post(channel_client(sensors[1]), [alarm(level="boom"), alarm(at=timezone.now())])
    assert [r["outcome"] for r in results] == ["rejected", "created"]
    assert "level" in results[0]["errors"]


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_one_sensor_sent_at_once_is_one_event(sensors: Any, channel_client: Any) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    now = timezone.now()

    def one(k: int) -> None:
        try:
            client = channel_client(sensors[1])
            barrier.wait()
            burst = [alarm(at=now + dt.timedelta(milliseconds=100 * (k * 25 + i))) for i in range(25)]
            outcomes.extend(r["outcome"] for r in post(client, burst))
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == ["attached"] * 99 + ["created"]
    assert Event.objects.count() == 1 and ChannelRequest.objects.get().alarm_count == 100
