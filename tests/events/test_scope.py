"""Who may report where, and what a report may reference.

A grid worker may report an event in a grid that is not theirs (citizens' matters do not stop at grid lines):
the event is routed as any other, and the worker then sees the events they reported there — not the other
events of that grid. A report's photos must be ones the reporter uploaded or may already read (naming a
photo would otherwise grant reading it), and its time lies within the window around now.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.departments.models import Department
from apps.events.models import Event
from tests.events.conftest import HH, XA, report, report_body
from tests.sync.conftest import mutation, push

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x07" * 64


@pytest.fixture(autouse=True)
def _media(tmp_path: Any) -> Any:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield


def test_a_worker_may_report_outside_their_grids_and_sees_only_their_own_reports_there(
    api_client: Callable[[Any], APIClient], worker_of: Callable[..., User], routing: dict[str, Department]
) -> None:
    xa_worker, hh_worker = api_client(worker_of("HC-XY-XA-01")), api_client(worker_of("HC-SY-HH-01"))
    theirs = report(hh_worker, "fire_rental", HH, title="海虹的事件")
    mine = report(
        xa_worker, "sanitation_garbage", HH, title="路过看到的"
    )  # in 海虹社区, not the reporter's grid
    assert mine["outcome"] == "created" and mine["routing"]
    assert Event.objects.get(pk=mine["id"]).grid.code == "HC-SY-HH-01"
    listed = {f["id"] for f in xa_worker.get("/api/v1/events/").json()["features"]}
    assert mine["id"] in listed and theirs["id"] not in listed
    assert xa_worker.get(f"/api/v1/events/{mine['id']}/").status_code == 200
    assert xa_worker.get(f"/api/v1/events/{theirs['id']}/").status_code == 404
    # The grid's own worker sees both.
    listed = {f["id"] for f in hh_worker.get("/api/v1/events/").json()["features"]}
    assert {mine["id"], theirs["id"]} <= listed


def test_a_report_may_not_name_a_photo_the_reporter_may_not_read(
    api_client: Callable[[Any], APIClient], worker_of: Callable[..., User], routing: dict[str, Department]
) -> None:
    owner, prober = api_client(worker_of("HC-SY-HH-01")), api_client(worker_of("HC-XY-XA-01"))
    sha = hashlib.sha256(JPEG).hexdigest()
    assert owner.put(f"/api/v1/attachments/{sha}/", JPEG, content_type="image/jpeg").status_code == 201
    assert prober.get(f"/api/v1/attachments/{sha}/").status_code == 404
    refused = prober.post(
        "/api/v1/events/", report_body("sanitation_garbage", XA, photos=[sha]), format="json"
    )
    assert refused.status_code == 400 and "photos" in refused.json()["errors"]
    (result,) = push(prober, mutation("event", category="sanitation_garbage", title="x", photos=[sha]))
    assert result["status"] == "rejected" and "photos" in str(result["errors"])
    assert prober.get(f"/api/v1/attachments/{sha}/").status_code == 404  # still unreadable
    assert not Event.objects.filter(photos__contains=[sha]).exists()
    # The uploader may name it, and a photo not uploaded yet may be named (devices upload when they can).
    assert report(owner, "sanitation_garbage", HH, photos=[sha])["outcome"] == "created"
    assert report(prober, "fire_rental", XA, photos=["ab" * 32])["outcome"] == "created"


def test_an_event_time_outside_the_window_is_refused(
    api_client: Callable[[Any], APIClient], reporter: User, routing: dict[str, Department]
) -> None:
    client = api_client(reporter)
    for when in (
        "2999-01-01T00:00:00Z",
        "1000-01-01T00:00:00Z",
        (timezone.now() + dt.timedelta(days=3)).isoformat(),
    ):
        response = client.post(
            "/api/v1/events/", report_body("sanitation_garbage", occurred_at=when), format="json"
        )
        assert response.status_code == 400 and "occurred_at" in response.json()["errors"]
        (result,) = push(
            client, mutation("event", category="sanitation_garbage", title="x", occurred_at=when)
        )
        assert result["status"] == "rejected" and "occurred_at" in str(result["errors"])
    assert not Event.objects.exists()
