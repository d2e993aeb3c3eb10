"""Supervisors resolve conflicts: keep the server's value, or apply the device's as a new version."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.crypto import blind_index
from apps.core.identity import mask_id_number
from apps.registry.models import Building, Person
from apps.sync.models import ConflictItem
from tests.authorization import Case, assert_hidden_from_outsider
from tests.sync.conftest import id_number, mutation, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflict(device: APIClient, api_client: Any, worker_of: Any) -> dict[str, Any]:
    (created,) = push(device, mutation("building", address="新垵村529号", floors=5))
    colleague = api_client(worker_of("HC-XY-XA-01"))
    push(colleague, mutation("building", "update", record_id=created["id"], base=1, point=None, floors=6))
    (result,) = push(
        device, mutation("building", "update", record_id=created["id"], base=1, point=None, floors=7)
    )
    assert result["status"] == "conflict"
    return created


def test_dispatcher_applies_the_device_value(
    conflict: dict[str, Any], api_client: Any, dispatcher_of: Any
) -> None:
    supervisor = api_client(dispatcher_of("HC-XY"))
    (item,) = supervisor.get("/api/v1/sync/conflicts/", {"status": "open"}).json()["results"]
    resolved = supervisor.post(
        f"/api/v1/sync/conflicts/{item['id']}/resolve/", {"keep": "device"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "device"
    assert Building.objects.get(pk=conflict["id"]).floors == 7
    again = supervisor.post(
        f"/api/v1/sync/conflicts/{item['id']}/resolve/", {"keep": "server"}, format="json"
    )
    assert again.status_code == 409


def test_conflicts_are_hidden_outside_the_territory(
    conflict: dict[str, Any], api_client: Any, dispatcher_of: Any, device: APIClient
) -> None:
    world = {"xy": dispatcher_of("HC-XY"), "sy": dispatcher_of("HC-SY")}
    item = api_client(world["xy"]).get("/api/v1/sync/conflicts/").json()["results"][0]
    for case in (
        Case("conflict detail", "get", lambda w: f"/api/v1/sync/conflicts/{item['id']}/", "xy", "sy"),
        Case("conflict resolve", "post", lambda w: f"/api/v1/sync/conflicts/{item['id']}/resolve/", "xy", "sy",
             body=lambda w: {"keep": "server"}),
    ):  # fmt: skip
        assert_hidden_from_outsider(case, world, api_client)
    assert device.get("/api/v1/sync/conflicts/").status_code == 403


def test_a_conflicting_id_number_is_kept_sealed_and_shown_masked(
    device: APIClient, api_client: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    first, second, third = id_number(seq="111"), id_number(seq="222"), id_number(seq="333")
    (created,) = push(device, mutation("person", name="王五", id_number=first))
    colleague = api_client(worker_of("HC-XY-XA-01"))
    push(
        colleague, mutation("person", "update", record_id=created["id"], base=1, point=None, id_number=second)
    )
    (result,) = push(
        device, mutation("person", "update", record_id=created["id"], base=1, point=None, id_number=third)
    )
    assert result["status"] == "conflict"
    assert result["conflicts"][0]["device"] == mask_id_number(third)
    assert third not in str(ConflictItem.objects.values().get())  # sealed at rest
    supervisor = api_client(dispatcher_of("HC-XY"))
    queue = supervisor.get("/api/v1/sync/conflicts/")
    assert third not in queue.content.decode()
    (item,) = queue.json()["results"]
    assert item["device_value"] == mask_id_number(third)
    resolved = supervisor.post(
        f"/api/v1/sync/conflicts/{item['id']}/resolve/", {"keep": "device"}, format="json"
    )
    assert resolved.status_code == 200
    assert Person.objects.get(pk=created["id"]).id_number_index == blind_index(third)
