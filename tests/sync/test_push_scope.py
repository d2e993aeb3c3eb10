"""The push's holes found from outside: versions never had, results shared across users, an echoed cursor,
the device a push claims to come from."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.journal.changes import Cursor
from apps.registry.models import Building, Observation
from apps.sync.models import AppliedMutation, ConflictItem
from tests.sync.conftest import mutation, pull_all, push, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_by_server(device: APIClient, api_client: Any, worker_of: Any) -> str:
    """A building the device created at version 1, whose floors the server then changed to 5 (version 2)."""
    (created,) = push(device, mutation("building", address="新垵村529号", floors=3))
    colleague = api_client(worker_of("HC-XY-XA-01"))
    (changed,) = push(
        colleague, mutation("building", "update", record_id=created["id"], base=1, point=None, floors=5)
    )
    assert (changed["status"], changed["version"]) == ("applied", 2)
    return str(created["id"])


def test_a_base_version_ahead_of_the_server_is_rejected(device: APIClient, changed_by_server: str) -> None:
    (result,) = push(device, mutation("building", "update", record_id=changed_by_server, base=999999, point=None,
                                      floors=7))  # fmt: skip
    assert result["status"] == "rejected" and "base_version" in result["errors"]
    assert Building.objects.get(pk=changed_by_server).floors == 5
    assert not ConflictItem.objects.exists()


def test_a_base_version_as_a_string_is_a_type_error(device: APIClient, changed_by_server: str) -> None:
    sent = mutation("building", "update", record_id=changed_by_server, point=None, floors=7)
    sent["base_version"] = "1"
    (result,) = push(device, sent)
    assert result["status"] == "rejected" and "base_version" in result["errors"]
    assert Building.objects.get(pk=changed_by_server).floors == 5


def test_the_true_stale_version_is_still_a_conflict(device: APIClient, changed_by_server: str) -> None:
    (result,) = push(device, mutation("building", "update", record_id=changed_by_server, base=1, point=None,
                                      floors=7))  # fmt: skip
    assert result["status"] == "conflict"
    assert result["conflicts"] == [{"field": "floors", "device": 7, "server": 5, "server_version": 2}]


def test_another_user_resending_a_captured_mutation_gets_its_own_processing(
    device: APIClient, worker: User, api_client: Any, worker_of: Any
) -> None:
    captured = mutation("building", "update", record_id=None, base=1, point=None, floors=9)
    (created,) = push(device, mutation("building", address="新垵村529号", floors=3))
    captured["id"] = created["id"]
    (first,) = push(device, captured)
    assert first["status"] == "applied"
    # A worker of another grid cannot see the building: its own processing says so, it is not handed the
    # first user's "applied" (nor does it learn the record's version).
    outsider = worker_of("HC-XY-XA-03")
    (second,) = push(api_client(outsider), captured)
    assert second["status"] == "rejected" and second["version"] is None and "id" in second["errors"]
    assert AppliedMutation.objects.filter(mutation_id=captured["mutation_id"]).count() == 2
    assert AppliedMutation.objects.get(mutation_id=captured["mutation_id"], user=outsider).result == second
    # And the first user still gets its own result back.
    assert push(device, captured) == [first]


def test_the_push_never_echoes_the_cursor_it_was_sent(device: APIClient) -> None:
    body = {"device_id": "p", "mutations": [], "cursor": {"evil": "<script>"}}
    response = device.post("/api/v1/sync/push/", body, format="json")
    assert response.status_code == 400 and "cursor" in response.json()["errors"]
    forged = device.post("/api/v1/sync/push/", {"device_id": "p", "mutations": [], "cursor": "<script>"},
                         format="json")  # fmt: skip
    assert forged.status_code == 200 and forged.json()["cursor"] is None


@pytest.mark.django_db(transaction=True)
def test_the_push_returns_a_pull_cursor_that_sends_the_batch(device: APIClient, worker: User) -> None:
    _changes, cursor = pull_all(device)
    sent = mutation("building", address="新垵村529号")
    response = device.post("/api/v1/sync/push/", {"device_id": "p", "mutations": [sent], "cursor": cursor},
                           format="json")  # fmt: skip
    returned = response.json()["cursor"]
    assert Cursor.decode(returned, owner=str(worker.pk)).user == str(worker.pk)
    settle()
    changes, _cursor = pull_all(device, returned)
    assert [(c["type"], c["id"]) for c in changes] == [("building", sent["id"])]


def test_the_token_device_is_recorded_not_the_one_the_body_names(device: APIClient, worker: User) -> None:
    sent = mutation("building", address="新垵村529号")
    device.post(
        "/api/v1/sync/push/", {"device_id": "someone-elses-phone", "mutations": [sent]}, format="json"
    )
    token_device = f"test-{worker.pk}"  # what ``api_client`` signs in with
    assert AppliedMutation.objects.get(mutation_id=sent["mutation_id"]).device_id == token_device
    assert set(Observation.objects.values_list("device_id", flat=True)) == {token_device}
