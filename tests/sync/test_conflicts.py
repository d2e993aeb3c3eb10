"""Supervisors resolve conflicts: keep the server's value, or apply the device's as a new version."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.crypto import blind_index
from apps.core.identity import mask_id_number, mask_phone
from apps.registry.models import Building, Person
from apps.registry.organisations.models import Organisation
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


def _organisation_conflict(
    device: APIClient, colleague: APIClient, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """An organisation a colleague changed since the device's version 1, and the device's conflicting update."""
    (created,) = push(device, mutation("organisation", name="新垵便利店", staff=3))
    first = {name: pair[0] for name, pair in fields.items()}
    second = {name: pair[1] for name, pair in fields.items()}
    push(colleague, mutation("organisation", "update", record_id=created["id"], base=1, point=None, **first))
    (result,) = push(
        device, mutation("organisation", "update", record_id=created["id"], base=1, point=None, **second)
    )
    assert result["status"] == "conflict"
    return created["id"], result


def test_an_organisation_conflict_is_queued_for_its_dispatchers_and_resolved(
    device: APIClient, api_client: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    colleague = api_client(worker_of("HC-XY-XA-01"))
    organisation_id, result = _organisation_conflict(device, colleague, staff=(9, 4))
    item = ConflictItem.objects.get(record_id=organisation_id)
    assert (item.record_type, item.field, item.device_value, item.server_value) == (
        "organisation",
        "staff",
        4,
        9,
    )
    assert item.grid_id == Organisation.objects.get(pk=organisation_id).grid_id
    assert item.server_version == result["version"] == 2
    world = {"xy": dispatcher_of("HC-XY"), "sy": dispatcher_of("HC-SY")}
    case = Case("conflict detail", "get", lambda w: f"/api/v1/sync/conflicts/{item.pk}/", "xy", "sy")
    assert_hidden_from_outsider(case, world, api_client)
    outsider = api_client(world["sy"]).post(
        f"/api/v1/sync/conflicts/{item.pk}/resolve/", {"keep": "device"}, format="json"
    )
    assert outsider.status_code == 404
    supervisor = api_client(world["xy"])
    (listed,) = supervisor.get("/api/v1/sync/conflicts/", {"record_type": "organisation"}).json()["results"]
    assert listed["id"] == str(item.pk) and listed["device_value"] == 4
    resolved = supervisor.post(
        f"/api/v1/sync/conflicts/{item.pk}/resolve/", {"keep": "device"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "device"
    organisation = Organisation.objects.get(pk=organisation_id)
    assert (organisation.staff, organisation.version) == (4, 3)


def test_an_organisation_conflict_on_a_phone_is_kept_sealed_and_shown_masked(
    device: APIClient, api_client: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    colleague = api_client(worker_of("HC-XY-XA-01"))
    mine, theirs = "13912345678", "13800001111"
    organisation_id, result = _organisation_conflict(
        device, colleague, phone=(theirs, mine), industry=("零售", "餐饮")
    )
    assert [(c["field"], c["device"], c["server"]) for c in result["conflicts"]] == [
        ("industry", "餐饮", "零售"),
        ("phone", mask_phone(mine), None),
    ]
    stored = str(list(ConflictItem.objects.values()))
    assert mine not in stored and theirs not in stored
    supervisor = api_client(dispatcher_of("HC-XY"))
    queue = supervisor.get("/api/v1/sync/conflicts/")
    assert mine not in queue.content.decode() and theirs not in queue.content.decode()
    phone = ConflictItem.objects.get(record_id=organisation_id, field="phone")
    assert (
        supervisor.post(
            f"/api/v1/sync/conflicts/{phone.pk}/resolve/", {"keep": "device"}, format="json"
        ).status_code
        == 200
    )
    assert Organisation.objects.get(pk=organisation_id).phone_index == blind_index(mine)


def test_the_same_organisation_value_is_no_conflict(
    device: APIClient, api_client: Any, worker_of: Any
) -> None:
    colleague = api_client(worker_of("HC-XY-XA-01"))
    (created,) = push(device, mutation("organisation", name="新垵便利店", phone="13912345678"))
    push(colleague, mutation("organisation", "update", record_id=created["id"], base=1, point=None, staff=7))
    (result,) = push(device, mutation("organisation", "update", record_id=created["id"], base=1, point=None,
                                      staff=7, phone="13912345678"))  # fmt: skip
    assert result["status"] == "applied" and not ConflictItem.objects.exists()
