"""gridapi as deployed: gunicorn serving, a real Celery worker consuming the real broker."""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.utils import timezone

from apps.accounts.models import DeviceToken
from apps.accounts.tasks import prune_expired_tokens
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import celery_worker, gunicorn, wait_until

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_gunicorn_serves_ready_api_and_docs() -> None:
    user = UserFactory()
    with gunicorn() as base:
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        token = httpx.post(
            f"{base}/api/v1/auth/token/",
            json={"username": user.username, "password": TEST_PASSWORD, "device_id": "live"},
        )
        assert token.status_code == 201
        me = httpx.get(
            f"{base}/api/v1/auth/me/", headers={"Authorization": f"Bearer {token.json()['token']}"}
        )
        assert me.json()["user"]["username"] == user.username
        assert httpx.get(f"{base}/api/docs/").status_code == 200


def test_celery_worker_runs_enqueued_task(territory: Any) -> None:
    user = UserFactory()
    old = timezone.now() - dt.timedelta(days=200)
    DeviceToken.objects.create(
        user=user, device_id="old", prefix="gdt_old", key_hash="0" * 64, expires_at=old
    )
    DeviceToken.objects.create(user=user, device_id="new", prefix="gdt_new", key_hash="1" * 64,
                               expires_at=timezone.now() + dt.timedelta(days=1))  # fmt: skip
    with celery_worker():
        prune_expired_tokens.delay()
        assert wait_until(lambda: not DeviceToken.objects.filter(device_id="old").exists(), timeout=60)
    assert DeviceToken.objects.filter(device_id="new").exists()


def test_front_server_refusals_are_problem_documents_and_cursors_fit() -> None:
    with gunicorn(workers=1, threads=2) as base:
        longest_cursor = "a" * 4096  # the documented maximum of a cursor: not refused by the server
        fits = httpx.get(f"{base}/api/v1/sync/pull/", params={"cursor": longest_cursor, "types": "building"})
        assert fits.status_code in {400, 401, 410}, fits.text  # answered by gridapi, not by gunicorn
        assert fits.headers["content-type"].startswith("application/problem+json")

        too_long = httpx.get(f"{base}/api/v1/sync/pull/", params={"cursor": "a" * 9000})
        assert too_long.status_code == 414
        assert too_long.headers["content-type"] == "application/problem+json"
        assert too_long.json()["status"] == 414 and too_long.json()["code"] == "uri_too_long"

        big_header = httpx.get(f"{base}/api/v1/auth/me/", headers={"X-Filler": "b" * 9000})
        assert big_header.status_code in {400, 431}
        assert big_header.headers["content-type"] == "application/problem+json"
        assert big_header.json()["status"] == big_header.status_code


def test_chunked_request_body_is_read() -> None:
    user = UserFactory()
    body = json.dumps({"username": user.username, "password": TEST_PASSWORD, "device_id": "chunked"}).encode()

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    with gunicorn(workers=1, threads=2) as base:
        response = httpx.post(
            f"{base}/api/v1/auth/token/", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["user"]["username"] == user.username
