"""Faults of the services around gridapi, with the real ones: a throwaway Redis stopped or hung (SIGSTOP),
PostgreSQL unreachable. The mobile path keeps working without the cache, readiness answers within 2 s, and
a lost database is a 503 with Retry-After, never a 500."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from apps.accounts import throttling
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import BIN, ROOT, free_port, process_env

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_breaker_closed() -> Iterator[None]:
    throttling._cache_down_until = 0.0
    yield
    throttling._cache_down_until = 0.0


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Redis of this test only, on a Unix socket: (process, socket path)."""
    sock = tmp_path / "redis.sock"
    process = subprocess.Popen(
        ["/usr/bin/redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not sock.exists():
        assert time.monotonic() < deadline, "redis did not start"
        time.sleep(0.05)
    try:
        yield process, str(sock)
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def _cache_at(sock: str) -> Any:
    timeout = settings.GRIDAPI_CACHE_TIMEOUT_SECONDS
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "apps.core.cache.RedisCache",
                "LOCATION": f"unix://{sock}",
                "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
            }
        }
    )


def _sign_in(client: Any, user: Any) -> Any:
    body = {"username": user.username, "password": TEST_PASSWORD, "device_id": "d"}
    return client.post("/api/v1/auth/token/", body, format="json")


def test_sign_in_and_reads_work_with_redis_stopped(
    api_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = UserFactory()
    with _cache_at(str(tmp_path / "no-redis.sock")):
        signed_in = _sign_in(api_client(None), user)
        assert signed_in.status_code == 201, signed_in.content
        me = api_client(None)
        me.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['token']}")
        assert me.get("/api/v1/auth/me/").status_code == 200
        assert me.get("/api/v1/sync/pull/", {"types": "building"}).status_code == 200
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


def test_hung_redis_costs_milliseconds_not_seconds(
    api_client: Any, throwaway_redis: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, sock = throwaway_redis
    user = UserFactory()
    with _cache_at(sock):
        assert _sign_in(api_client(None), user).status_code == 201  # the cache works and counts
        os.kill(process.pid, signal.SIGSTOP)
        started = time.monotonic()
        codes = [_sign_in(api_client(None), user).status_code for _ in range(5)]
        elapsed = time.monotonic() - started
    assert codes == [201] * 5
    assert elapsed < 2.0, elapsed  # one short socket timeout, then the cache is left alone for a while


def test_readyz_is_503_within_two_seconds_when_the_broker_hangs(
    api_client: Any, throwaway_redis: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, sock = throwaway_redis
    with override_settings(CELERY_BROKER_URL=f"redis+socket://{sock}"):
        assert api_client(None).get("/readyz").json()["checks"]["broker"] == "ok"
        os.kill(process.pid, signal.SIGSTOP)
        started = time.monotonic()
        response = api_client(None).get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert elapsed < 2.0, elapsed


@contextmanager
def _gunicorn_with(**env: str) -> Iterator[str]:
    """gunicorn with some services pointed elsewhere (one worker); yields the base URL."""
    port, environment = free_port(), {**process_env(), **env}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "gridapi.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--log-level", "warning"],
        cwd=ROOT, env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_database_unreachable_is_503_with_retry_after(tmp_path: Path) -> None:
    user = UserFactory()
    with _gunicorn_with(
        DATABASE_URL=f"postgis://postgres@{str(tmp_path).replace('/', '%2F')}/gridapi"
    ) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        body = {"username": user.username, "password": TEST_PASSWORD, "device_id": "d"}
        response = httpx.post(f"{base}/api/v1/auth/token/", json=body, timeout=10)
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
        started = time.monotonic()
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and time.monotonic() - started < 2.0
        assert ready.json()["checks"]["database"].startswith("error")


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_mobile_path_works_with_cache_and_broker_stopped(tmp_path: Path, territory: Any) -> None:
    user = UserFactory()
    gone = str(tmp_path / "gone.sock")
    with _gunicorn_with(CACHE_URL=f"unix://{gone}", CELERY_BROKER_URL=f"redis+socket://{gone}") as base:
        body = {"username": user.username, "password": TEST_PASSWORD, "device_id": "d"}
        signed_in = httpx.post(f"{base}/api/v1/auth/token/", json=body, timeout=10)
        assert signed_in.status_code == 201, signed_in.text
        auth = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        pushed = httpx.post(
            f"{base}/api/v1/sync/push/", json={"device_id": "d", "mutations": []}, headers=auth, timeout=10
        )
        assert pushed.status_code == 200, pushed.text
        pulled = httpx.get(
            f"{base}/api/v1/sync/pull/", params={"types": "building"}, headers=auth, timeout=10
        )
        assert pulled.status_code == 200, pulled.text
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("error")
