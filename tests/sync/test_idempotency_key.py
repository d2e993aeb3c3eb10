"""The ``Idempotency-Key`` under concurrency: two requests with one key never both apply."""

import threading
from typing import Any

import httpx
import pytest

from apps.accounts.services import device_token_issue
from apps.registry.models import Building
from apps.sync.models import AppliedMutation, ReplayableResponse
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import gunicorn
from tests.sync.conftest import XA, mutation, shifted

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def _send_at_once(base: str, token: str, bodies: list[dict[str, Any]], key: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))
    responses: list[httpx.Response] = []

    def send(body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        with httpx.Client(timeout=120, headers=headers) as client:
            barrier.wait()
            responses.append(client.post(f"{base}/api/v1/sync/push/", json=body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_two_requests_with_one_key_and_different_bodies_apply_one(territory: Any) -> None:
    worker = UserFactory()
    grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
    token = device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id="p").secret
    batches = [
        {"device_id": "p", "mutations": [
            mutation("building", address=f"新垵村{side}{n}号", point=shifted(XA, north_m=20 * n, east_m=30 * side))
            for n in range(25)
        ]}
        for side in range(2)
    ]  # fmt: skip
    with gunicorn(workers=2, threads=4) as base:
        responses = _send_at_once(base, token, batches, key="batch-7")
    assert sorted(r.status_code for r in responses) == [200, 400], [r.text[:200] for r in responses]
    refused = next(r for r in responses if r.status_code == 400)
    assert "Idempotency-Key" in refused.json()["errors"]
    assert AppliedMutation.objects.count() == 25 and Building.objects.exists()
    assert ReplayableResponse.objects.count() == 1


def test_two_requests_with_one_key_and_one_body_get_one_answer(territory: Any) -> None:
    worker = UserFactory()
    grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
    token = device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id="p").secret
    batch = {"device_id": "p", "mutations": [
        mutation("building", address=f"新垵村{n}号", point=shifted(XA, north_m=20 * n)) for n in range(25)
    ]}  # fmt: skip
    with gunicorn(workers=2, threads=4) as base:
        responses = _send_at_once(base, token, [batch, batch, batch], key="batch-8")
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.content for r in responses}) == 1
    assert AppliedMutation.objects.count() == 25 and ReplayableResponse.objects.count() == 1
