"""Attachments are readable by whoever may see a record that references them now: a building's photo
follows the building to its new grid, an event's photos are read by whoever may see the event."""

import hashlib
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.events.conftest import routing
from tests.registry.conftest import XA, geo

__all__ = ["routing"]

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 64
XA_02 = (118.0300, 24.4850)  # 新垵村 grid 02


@pytest.fixture(autouse=True)
def _media(tmp_path: Any) -> Any:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield


def put(client: APIClient, content: bytes = JPEG) -> str:
    sha = hashlib.sha256(content).hexdigest()
    assert client.put(f"/api/v1/attachments/{sha}/", content, content_type="image/jpeg").status_code == 201
    return sha


def test_a_building_photo_follows_the_building_to_its_new_grid(
    api_client: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    uploader = api_client(worker_of("HC-XY-XA-01"))
    sha = put(uploader)
    created = uploader.post("/api/v1/buildings/", {"address": "新垵村529号", "location": geo(XA), "photos": [sha]},
                            format="json")  # fmt: skip
    assert created.status_code == 201
    building_id = created.json()["id"]
    old_grid, new_grid = api_client(worker_of("HC-XY-XA-01")), api_client(worker_of("HC-XY-XA-02"))
    assert old_grid.get(f"/api/v1/attachments/{sha}/").status_code == 200
    moved = api_client(dispatcher_of("HC-XY")).patch(
        f"/api/v1/buildings/{building_id}/", {"location": geo(XA_02)}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert moved.status_code == 200 and moved.json()["properties"]["grid"] == "HC-XY-XA-02"
    # Grid 01's worker may no longer see the building (404) …
    assert old_grid.get(f"/api/v1/buildings/{building_id}/").status_code == 404
    assert new_grid.get(f"/api/v1/buildings/{building_id}/").status_code == 200
    # … so not its photo either; grid 02's worker, who now sees the building, may.
    assert old_grid.get(f"/api/v1/attachments/{sha}/").status_code == 404
    assert new_grid.get(f"/api/v1/attachments/{sha}/").status_code == 200


def test_an_event_photo_is_readable_by_whoever_may_see_the_event(
    api_client: Any, worker_of: Any, dispatcher_of: Any, routing: Any
) -> None:
    reporter = api_client(worker_of("HC-XY-XA-01"))
    sha = put(reporter)
    report = {"category": "fire_rental", "title": "垃圾堆放", "location": geo(XA), "photos": [sha]}
    created = reporter.post("/api/v1/events/", report, format="json")
    assert created.status_code == 201, created.content[:300]
    event_id = created.json()["id"]
    supervisor = api_client(dispatcher_of("HC-XY"))
    assert supervisor.get(f"/api/v1/events/{event_id}/").status_code == 200
    assert sha in supervisor.get(f"/api/v1/events/{event_id}/").json()["properties"]["photos"]
    assert supervisor.get(f"/api/v1/attachments/{sha}/").status_code == 200
