"""Real server processes for tests: gunicorn and a Celery worker against the test database.

Used with ``transactional_db`` so what a test writes is committed and visible to the processes.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_database_url() -> str:
    """The URL of the database pytest-django created, for processes started by a test."""
    s = connection.settings_dict
    user = quote(s["USER"] or "", safe="")
    password = (":" + quote(s["PASSWORD"], safe="")) if s["PASSWORD"] else ""
    host = quote(s["HOST"] or "", safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgis://{user}{password}@{host}{port}/{s['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gridapi.settings.test",
        DATABASE_URL=test_database_url(),
        DATABASE_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)  # a test may point a service elsewhere (the database behind a proxy)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(workers: int = 2, threads: int = 4, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve gridapi with gunicorn on a free port (``env`` overrides the test's environment); yields the
    base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "gridapi.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env=process_env(**(env or {})),
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
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        _stop(process)


@contextmanager
def _celery(args: list[str], env: dict[str, str] | None) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [str(BIN / "celery"), "-A", "gridapi", *args], cwd=ROOT, env=process_env(**(env or {}))
    )
    try:
        yield process
    finally:
        _stop(process)


def celery_worker(
    *extra_args: str, env: dict[str, str] | None = None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A real Celery worker consuming the test queue (a context manager yielding the process)."""
    return _celery(["worker", "-Q", "gridapi-test,gridapi-test-webhooks", "--concurrency", "1", "--without-gossip", "--without-mingle",
                    "--loglevel", "WARNING", *extra_args], env)  # fmt: skip


def celery_beat(
    schedule_file: Path, env: dict[str, str] | None = None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """Real Celery beat sending the project's periodic tasks to the test queue (a context manager)."""
    return _celery(["beat", "--schedule", str(schedule_file), "--loglevel", "WARNING"], env)


def wait_until(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
