"""Escalation as deployed: Celery beat schedules the overdue scan, a real worker runs it against the database."""

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from apps.events.models import Event, TimelineEntry
from tests.events.conftest import report
from tests.live import celery_beat, celery_worker, wait_until

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_beat_and_worker_escalate_an_overdue_event_once(routing: Any, api_client: Any, reporter: Any,
                                                        tmp_path: Path) -> None:  # fmt: skip
    event_id = report(api_client(reporter), "dispute_neighbour")["id"]
    Event.objects.filter(pk=event_id).update(sign_by=timezone.now() - dt.timedelta(hours=1))
    env = {"GRIDAPI_EVENT_SCAN_SECONDS": "1", "GRIDAPI_EVENT_ESCALATION_GRACE_HOURS": "0"}
    with celery_worker(env=env), celery_beat(tmp_path / "beat-schedule", env=env):
        assert wait_until(lambda: Event.objects.get(pk=event_id).escalation_count >= 1, timeout=90)
        # several more scans run while the processes live; none escalates the event again
        time.sleep(4)
    event = Event.objects.get(pk=event_id)
    assert (
        event.escalation_count == 1 and event.level == "subdistrict" and event.department.code == "HC-SF-XY"
    )
    actions = list(
        TimelineEntry.objects.filter(event_id=event_id).order_by("id").values_list("action", flat=True)
    )
    assert actions.count("remind") == 1 and actions.count("escalate") == 1
