"""Sharing benchmark: department feeds and webhook fan-out against a preloaded registry, with raw ceilings.

    .venv/bin/python -m bench.sharing.run [--buildings 50000] [--people 100000] [--changes 5000] [--receivers 10]
                                          [--concurrency 4] [--web-workers 2] [--fanout-seconds 1]
                                          [--ceiling-requests 5000] [--timeout 900]

In one run, on its own database (``gridapi_bench_sharing``, recreated): import the demo territory (Haicang, 72
grids) through ``territory_import``; preload buildings and people by COPY (``bench.sync.run.preload``) and their
"created" journal entries by INSERT … SELECT (the journal a registry of that size has), then VACUUM ANALYZE.

Feeds: a department with an API key and a feed subscription over the whole district ("350205": buildings and
people, a mix of fields including ``person.id_number``, so projection and the access log run).

* ceiling: psycopg runs the feed's own SELECTs (compiled from the journal's change sources: the same columns,
  the same filter, id order) over every row, once in one statement per type and once in keyset pages of 1,000
  (each the best of 3);
* the whole feed over HTTP from gunicorn (``--web-workers`` sync workers), ``limit=1000`` pages until
  ``has_more`` is false (also split into pages of buildings only and of people only);
* ``feed_page`` in-process, per record type (a feed subscription each, the same grant): 10 pages timed with
  the database's share, then 3 under cProfile;
* after the webhook phase's changes, the incremental feed from the cursor the snapshot ended at.

Webhooks: ``--receivers`` local receivers (one process and port each, answering 200 at once and recording
every request), one endpoint per receiver (``endpoint_create``) of its own department, each with a webhook
subscription over the district (``subscription_create``). ``GRIDAPI_WEBHOOK_ALLOWED_HOSTS=127.0.0.1`` is set
for every process.

* ceiling: a plain httpx client with ``--concurrency`` threads POSTs pre-signed bodies of the same shape and
  size (real records projected to the webhook grant) round-robin to the same receivers, reusing connections
  (the best of 3 runs); two variants say what connections cost: ``Connection: close`` (a new TCP connection per request) and a new
  ``httpx.Client`` per request (what ``apps.sharing.webhooks`` does);
* end to end: a Celery worker (``--concurrency`` prefork processes) and Celery beat (the project's schedule, the
  fan-out every ``--fanout-seconds``; the due-scan at its default) run on a private Redis database (number 12
  of the broker in ``.var/env``, default queue, purged before and after), so no other worker takes these tasks.
  ``--changes`` records (half buildings, half people, each changed once) are updated through
  ``building_update`` / ``person_update`` (the journal is written as in production), sequentially in this
  process; then the run waits until every receiver has every change and no delivery is pending. Every
  request is checked: distinct webhook-ids and record ids per receiver, missing, duplicates, signatures
  (recomputed with the ``standardwebhooks`` package), versions.
* in-process, after the worker has stopped: fan-out and delivery of a further 20 changes timed piece by piece
  (database share, cProfile summary of the delivery).

On 2 cores the webhook phase runs at roughly 35 deliveries/s, so the defaults (5,000 changes × 10 receivers) take
about 25 minutes there; ``--changes 1000`` keeps the whole run under 10 minutes.

Every timed phase also says where the CPU went (gunicorn, Celery, receivers, the bench database's backends,
this process, others): the machine is shared. Results go to ``bench/results/sharing.json`` and are printed as
a table.
"""

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import logging
import multiprocessing
import os
import pstats
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import CpuMeter, latency, peak_rss_mb, point_url, recreate, wait_healthy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_sharing"
PRIVATE_REDIS_DB = 12
DISTRICT = "350205"
PAGE = 1000
FEED_FIELDS = ["building.address", "building.use", "building.floors", "building.location", "building.grid",
               "person.name", "person.gender", "person.birth_date", "person.household_type", "person.grid",
               "person.id_number"]  # fmt: skip
WEBHOOK_FIELDS = ["building.address", "building.name", "building.use", "building.grid", "person.name",
                  "person.household_type", "person.grid", "person.id_number"]  # fmt: skip
PROFILE_CHANGES = 20


def _point_url() -> tuple[str, dict[str, Any]]:
    return point_url(DB_NAME)


def _recreate(admin: dict[str, Any]) -> None:
    recreate(admin, DB_NAME)


def _private_broker() -> str:
    """The broker of ``.var/env`` on a Redis database of its own (read after ``_point_url`` loaded the file)."""
    url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    if url.startswith("redis+socket://"):
        return f"{url}{'&' if '?' in url else '?'}virtual_host={PRIVATE_REDIS_DB}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{PRIVATE_REDIS_DB}"))


# --- statistics and the table ----------------------------------------------------------------------


def _table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value and not prefix.endswith((".types", ".statuses", ".attempts")):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            rows.append((prefix, f"[{len(value)} items]"))
            rows.extend(("", f"  {item}") for item in value)
        else:
            rows.append((prefix, json.dumps(value, ensure_ascii=False, default=str)))

    walk("", results)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


# --- CPU accounting ----------------------------------------------------------------------------------

# --- receivers -----------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a sender that hangs up is no news
            super().handle_error(request, client_address)


def _receiver_main(conn: Any) -> None:
    """A department's receiver (its own process): answers 200 at once; records webhooks, counts the ceiling's
    requests (path ``/ceiling``). Commands on ``conn``: "count", "collect", "stop"."""
    lock = threading.Lock()
    hooks: list[tuple[float, str, str, str, bytes]] = []
    ceiling = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            arrived = time.time()
            if self.path.startswith("/ceiling"):
                with lock:
                    ceiling[0] += 1
            else:
                h = self.headers
                entry = (arrived, h.get("webhook-id", ""), h.get("webhook-timestamp", ""),
                         h.get("webhook-signature", ""), body)  # fmt: skip
                with lock:
                    hooks.append(entry)
            self.send_response_only(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.server_address[1])
    try:
        while True:
            command = conn.recv()
            with lock:
                if command == "count":
                    conn.send((len(hooks), ceiling[0], hooks[-1][0] if hooks else 0.0))
                elif command == "collect":
                    conn.send(list(hooks))
                else:
                    break
    except (EOFError, OSError):
        pass  # the bench went away
    finally:
        server.shutdown()
        server.server_close()


class Receivers:
    """``n`` receiver processes on ports of 127.0.0.1."""

    def __init__(self, n: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.conns: list[Any] = []
        self.ports: list[int] = []
        for i in range(n):
            parent, child = context.Pipe()
            process = context.Process(
                target=_receiver_main, args=(child,), name=f"bench-receiver-{i}", daemon=True
            )
            process.start()
            self.processes.append(process)
            self.conns.append(parent)
        for conn in self.conns:
            if not conn.poll(60):
                raise SystemExit("a webhook receiver did not start within 60 s")
            self.ports.append(conn.recv())

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def urls(self, path: str = "/hooks/gridapi") -> list[str]:
        return [f"http://127.0.0.1:{port}{path}" for port in self.ports]

    def _ask(self, command: str) -> list[Any]:
        for conn in self.conns:
            conn.send(command)
        return [conn.recv() for conn in self.conns]

    def counts(self) -> list[tuple[int, int, float]]:
        return self._ask("count")

    def collect(self) -> list[list[tuple[float, str, str, str, bytes]]]:
        return self._ask("collect")

    def stop(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send("stop")
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join(5)


# --- setup -----------------------------------------------------------------------------------------------


def preload(n_buildings: int, n_people: int, grids: list[Any]) -> dict[str, Any]:
    """Buildings and people by COPY (the sync bench's preload), their journal, then VACUUM ANALYZE."""
    from django.db import connection

    from bench.sync.run import preload as sync_preload

    timings: dict[str, Any] = {k: round(v, 2) for k, v in sync_preload(n_buildings, n_people, grids).items()}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What the services journal when they create a record: change "created", version 1, the grid.
        cursor.execute(
            "INSERT INTO journal_journalentry (record_type, record_id, version, change, grid_id, fields) "
            "SELECT 'building', id, 1, 'created', grid_id, '{}'::varchar[] FROM registry_building UNION ALL "
            "SELECT 'person', id, 1, 'created', grid_id, '{}'::varchar[] FROM registry_person ORDER BY 2"
        )
        timings["journal_s"] = round(time.perf_counter() - started, 2)
        timings["journal_entries"] = cursor.rowcount
        started = time.perf_counter()
        cursor.execute("VACUUM (ANALYZE)")  # hint bits and the visibility map set, as in a live table
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 2)
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        timings["database_size"] = cursor.fetchone()[0]
    return timings


def _department(code: str, name: str, district: Any) -> Any:
    from apps.departments.services import department_upsert

    return department_upsert(code=code, name=name, jurisdiction=district)


# --- feeds --------------------------------------------------------------------------------------------------


def _feed_queries(grid_ids: list[Any]) -> list[tuple[str, str, list[Any], str, list[Any]]]:
    """Per type: (type, the feed's SELECT of every row, params, the same as a keyset page, params).

    Compiled from the pull engine's own querysets (``_rows``), so the ceiling reads what the feed reads.
    """
    from apps.journal.changes import change_source
    from apps.registry.models import Building, Person

    def _rows(kind: str, queryset: Any) -> Any:
        return queryset.values_list(*change_source(kind).columns())

    sentinel = uuid.UUID(int=0)
    out = []
    for kind, model in (("building", Building), ("person", Person)):
        queryset = model.objects.filter(grid_id__in=grid_ids, merged_into__isnull=True)
        every_sql, every_params = _rows(kind, queryset.order_by("pk")).query.sql_with_params()
        page_sql, page_params = _rows(kind, queryset.filter(pk__gt=sentinel).order_by("pk")[:PAGE]).query.sql_with_params()  # fmt: skip
        out.append((kind, every_sql, list(every_params), page_sql, list(page_params)))
    return out


def feed_ceiling(grid_ids: list[Any]) -> dict[str, Any]:
    """Records/s of psycopg running the feed's SELECTs: every row in one statement per type, and in keyset pages.

    Each the best of 3 runs (the machine is shared), after a warm-up read, so all runs read from memory.
    """
    import psycopg
    from django.db import connection

    params = {k: v for k, v in connection.get_connection_params().items()
              if k in {"dbname", "user", "password", "host", "port"} and v}  # fmt: skip
    queries = _feed_queries(grid_ids)
    sentinel = uuid.UUID(int=0)

    def every_row(conn: Any) -> tuple[int, int]:
        records = 0
        for _kind, every_sql, every_params, *_ in queries:
            records += len(conn.execute(every_sql, every_params).fetchall())
        return records, len(queries)

    def paged(conn: Any) -> tuple[int, int]:
        records, pages = 0, 0
        for _kind, _every_sql, _every_params, page_sql, page_params in queries:
            after = sentinel
            while True:
                values = [after if value == sentinel else value for value in page_params]
                rows = conn.execute(page_sql, values).fetchall()
                records, pages = records + len(rows), pages + 1
                if len(rows) < PAGE:
                    break
                after = rows[-1][0]
        return records, pages

    result: dict[str, Any] = {}
    with psycopg.connect(**params, autocommit=True) as conn:
        every_row(conn)
        for name, read in (("all_rows", every_row), (f"keyset_pages_of_{PAGE}", paged)):
            runs = []
            for _ in range(3):
                with CpuMeter(db_name=DB_NAME) as cpu:
                    records, statements = read(conn)
                runs.append({"records": records, "statements": statements, "seconds": round(cpu.wall, 2),
                             "records_per_s": round(records / cpu.wall), "cpu": cpu.summary()})  # fmt: skip
            result[name] = max(runs, key=lambda run: run["records_per_s"])
            result[name]["runs_records_per_s"] = [run["records_per_s"] for run in runs]
    return result


def read_feed(http: Any, subscription_id: Any, cursor: str | None) -> tuple[dict[str, Any], str]:
    """Page through a feed from ``cursor`` until ``has_more`` is false; (figures, the last cursor)."""
    types: Counter[str] = Counter()
    records, pages, size, seconds = 0, 0, 0, []
    by_type: dict[str, list[tuple[float, int]]] = {}  # pages holding one record type only: (seconds, records)
    started = time.perf_counter()
    while True:
        page_started = time.perf_counter()
        response = http.get(
            f"/api/v1/feeds/{subscription_id}/changes/",
            params={"limit": PAGE, **({"cursor": cursor} if cursor else {})},
        )
        if response.status_code != 200:
            raise SystemExit(f"feed page {pages + 1}: {response.status_code} {response.text[:300]}")
        seconds.append(time.perf_counter() - page_started)
        size += len(response.content)
        body = response.json()
        kinds = set()
        for change in body["changes"]:
            types[f"{change['type']}{'.deleted' if change.get('deleted') else ''}"] += 1
            kinds.add(change["type"])
        if len(kinds) == 1:
            by_type.setdefault(kinds.pop(), []).append((seconds[-1], len(body["changes"])))
        records += len(body["changes"])
        pages += 1
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    wall = time.perf_counter() - started
    figures = {"records": records, "pages": pages, "seconds": round(wall, 2),
               "records_per_s": round(records / wall) if wall else 0, "mb": round(size / 2**20, 1),
               "page": latency(seconds), "types": dict(types)}  # fmt: skip
    for kind, timed in sorted(by_type.items()):
        figures[f"{kind}_only_pages"] = {
            "pages": len(timed), "records_per_s": round(sum(n for _s, n in timed) / sum(s for s, _n in timed)),
            **latency([s for s, _n in timed]),
        }  # fmt: skip
    return figures, cursor or ""


def _timed_queries() -> tuple[Callable[..., Any], dict[str, float]]:
    clock = {"s": 0.0, "n": 0}

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock["s"] += time.perf_counter() - started
            clock["n"] += 1

    return timed, clock


def _profile_top(profile: cProfile.Profile, n: int = 14) -> list[str]:
    """The functions with the most own time, as "own s  cumulative s  calls  function" lines."""
    stats = pstats.Stats(profile, stream=io.StringIO())
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:n]  # type: ignore[attr-defined]
    lines = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in entries:
        where = filename.replace(str(ROOT) + "/", "").replace(str(Path(sys.prefix)) + "/", "")
        where = where.split("site-packages/")[-1]
        lines.append(f"{own:7.3f} s own {cumulative:7.3f} s cum {calls:>8} calls  {name} ({where}:{line})")
    return lines


def feed_in_process(subscriptions: dict[str, Any], pages: int) -> dict[str, Any]:
    """``feed_page`` itself, per record type (a subscription each, the same grant): the first ``pages`` pages of
    a snapshot timed (with the database's share), then the first 3 pages of another under cProfile."""
    from django.db import connection

    from apps.journal.models import AccessChannel
    from apps.sharing.feeds import feed_page

    out: dict[str, Any] = {}
    for kind, subscription in subscriptions.items():
        timed, clock = _timed_queries()
        token, records, seconds, db, queries = None, 0, [], [], []
        with connection.execute_wrapper(timed):
            for _ in range(pages):
                clock["s"], clock["n"] = 0.0, 0
                started = time.perf_counter()
                page = feed_page(
                    subscription=subscription, token=token, limit=PAGE, channel=AccessChannel.FEED
                )
                seconds.append(time.perf_counter() - started)
                db.append(clock["s"])
                queries.append(clock["n"])
                records += len(page["changes"])
                token = page["cursor"]
                if not page["has_more"]:
                    break
        profile = cProfile.Profile()
        token = None
        profile.enable()
        for _ in range(3):
            token = feed_page(subscription=subscription, token=token, limit=PAGE, channel=AccessChannel.FEED)[
                "cursor"
            ]
        profile.disable()
        total = sum(seconds)
        out[kind] = {
            "pages": len(seconds), "records": records, "records_per_s": round(records / total),
            "page": latency(seconds), "db_share": round(sum(db) / total, 3), "queries_per_page": max(queries),
            "profile_3_pages": _profile_top(profile),
        }  # fmt: skip
    return out


# --- webhooks: the ceiling ------------------------------------------------------------------------------------


def sample_bodies(n: int, secret: str) -> list[tuple[bytes, dict[str, str]]]:
    """Signed webhook requests of real records (half buildings, half people) projected to the webhook grant."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils import timezone

    from apps.core.ids import uuid7
    from apps.journal.changes import record_envelope
    from apps.registry.models import Building, Person
    from apps.sharing.projection import Catalogue, project
    from apps.sharing.webhooks import change_event_type, webhook_signature
    from apps.territory.models import TerritoryNode

    grid_codes = dict(TerritoryNode.objects.filter(level="grid").values_list("pk", "code"))
    catalogue = Catalogue.load()
    ids = [("building", pk) for pk in Building.objects.order_by("?").values_list("pk", flat=True)[: n // 2]]
    ids += [
        ("person", pk) for pk in Person.objects.order_by("?").values_list("pk", flat=True)[: n - len(ids)]
    ]
    out = []
    for kind, pk in ids:
        change = record_envelope(kind, pk, grid_codes)
        projected, _revealed = project(change, granted=set(WEBHOOK_FIELDS), catalogue=catalogue)
        projected["version"] += 1  # as after an update
        message = {
            "type": change_event_type(projected),
            "timestamp": timezone.now().isoformat(),
            "data": projected,
        }
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
        msg_id, timestamp = f"msg_{uuid7().hex}", int(time.time())
        headers = {"content-type": "application/json", "user-agent": "gridapi-webhooks/1", "webhook-id": msg_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": webhook_signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)}  # fmt: skip
        out.append((body.encode(), headers))
    return out


def webhook_ceiling(
    urls: list[str], bodies: list[tuple[bytes, dict[str, str]]], threads: int, n: int, mode: str,
    roots: dict[str, list[int]],
) -> dict[str, Any]:  # fmt: skip
    """Requests/s of httpx POSTing ``bodies`` round-robin to ``urls`` from ``threads`` threads.

    ``mode``: "keepalive" (a client per thread, connections reused: the best a sender can do), "new_connection"
    (the same client, ``Connection: close``), "new_client" (an ``httpx.Client`` per request, as the app does).
    """
    import httpx

    lock = threading.Lock()
    counter = iter(range(n))
    statuses: Counter[str] = Counter()
    latencies: list[float] = []

    def client() -> httpx.Client:
        return httpx.Client(timeout=10, follow_redirects=False, trust_env=False)

    def work() -> None:
        shared = client() if mode != "new_client" else None
        mine: list[float] = []
        mine_statuses: Counter[str] = Counter()
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                body, headers = bodies[i % len(bodies)]
                if mode == "new_connection":
                    headers = {**headers, "connection": "close"}
                started = time.perf_counter()
                try:
                    if shared is not None:
                        code = shared.post(urls[i % len(urls)], content=body, headers=headers).status_code
                    else:
                        with client() as own:
                            code = own.post(urls[i % len(urls)], content=body, headers=headers).status_code
                    mine_statuses[str(code)] += 1
                except httpx.HTTPError as exc:
                    mine_statuses[type(exc).__name__] += 1
                mine.append(time.perf_counter() - started)
        finally:
            if shared is not None:
                shared.close()
            with lock:
                latencies.extend(mine)
                statuses.update(mine_statuses)

    with CpuMeter(roots, db_name=DB_NAME) as cpu, ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(work) for _ in range(threads)]:
            future.result()
    ok = statuses.get("200", 0)
    return {"requests": n, "ok": ok, "requests_per_s": round(ok / cpu.wall, 1), "seconds": round(cpu.wall, 2),
            "request": latency(latencies), "statuses": dict(statuses), "cpu": cpu.summary()}  # fmt: skip


# --- webhooks: end to end ------------------------------------------------------------------------------------


def _stop(process: "subprocess.Popen[bytes] | None", timeout: float = 30) -> None:
    """Stop a process this bench started (and its process group, which it leads), politely, then not."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _wait_worker(worker: "subprocess.Popen[bytes]") -> float:
    from gridapi.celery import app

    started = time.perf_counter()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the Celery worker exited with code {worker.returncode}")
        if app.control.ping(timeout=1.0):
            return round(time.perf_counter() - started, 1)
    raise SystemExit("the Celery worker did not answer a ping within 90 s")


def changed_records(n: int, rng: random.Random) -> list[tuple[str, Any]]:
    """``n`` distinct records, half buildings and half people, interleaved."""
    from apps.registry.models import Building, Person

    buildings = rng.sample(list(Building.objects.values_list("pk", flat=True)), n // 2)
    people = rng.sample(list(Person.objects.values_list("pk", flat=True)), n - n // 2)
    out: list[tuple[str, Any]] = []
    for i in range(max(len(buildings), len(people))):
        out += [("building", buildings[i])] if i < len(buildings) else []
        out += [("person", people[i])] if i < len(people) else []
    return out


def make_changes(records: list[tuple[str, Any]], actor: Any, label: str) -> dict[str, Any]:
    """Each record updated once through its service (one transaction each, journal included)."""
    from apps.registry.models import Building, Person
    from apps.registry.services import ObservationMeta, building_update, person_update

    done: dict[str, float] = {}
    seconds = []
    started = time.perf_counter()
    for i, (kind, pk) in enumerate(records):
        meta = ObservationMeta(collector=actor, device_id=f"bench-sharing-{label}")
        begun = time.perf_counter()
        if kind == "building":
            changes = {"name": f"{label}基准楼{i}"}
            building_update(
                building=Building(pk=pk),
                changes=dict(changes),
                expected_version=1,
                meta=meta,
                payload=changes,
            )
        else:
            changes = {"household_type": "floating"}
            person_update(
                person=Person(pk=pk), changes=dict(changes), expected_version=1, meta=meta, payload=changes
            )
        seconds.append(time.perf_counter() - begun)
        done[str(pk)] = time.time()
    wall = time.perf_counter() - started
    return {"changes": len(records), "seconds": round(wall, 2), "changes_per_s": round(len(records) / wall, 1),
            "change": latency(seconds), "_done": done}  # fmt: skip


def _held_back() -> bool:
    """Whether the newest journal entry is still above the horizon (an open transaction anywhere in the
    cluster holds the feeds back)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(txid) >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM journal_journalentry"
        )
        return bool(cursor.fetchone()[0])


def wait_delivered(receivers: Receivers, expected: int, timeout: float) -> dict[str, Any]:
    """Until every receiver has ``expected`` requests and no delivery is pending or sending."""
    from apps.sharing.models import DeliveryStatus, WebhookDelivery

    started = time.monotonic()
    last_print, held, polls = 0.0, 0, 0
    open_statuses = [DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    while True:
        counts = receivers.counts()
        received = [c[0] for c in counts]
        polls += 1
        if min(received) >= expected:
            if not WebhookDelivery.objects.filter(status__in=open_statuses).exists():
                return {"timed_out": False, "held_back_polls": held, "polls": polls}
        elif polls % 4 == 0 and _held_back():
            held += 1
        now = time.monotonic()
        if now - last_print >= 15:
            last_print = now
            made = WebhookDelivery.objects.count()
            print(f"  {now - started:6.0f} s: received {sum(received)}/{expected * len(received)} "
                  f"(min per receiver {min(received)}), deliveries made {made}", flush=True)  # fmt: skip
        if now - started > timeout:
            return {"timed_out": True, "held_back_polls": held, "polls": polls}
        time.sleep(0.25)


def check_received(
    collected: list[list[tuple[float, str, str, str, bytes]]], secrets_: list[str],
    expected: dict[str, tuple[str, float]], t0: float,
) -> dict[str, Any]:  # fmt: skip
    """Per receiver: every change arrived, once, signed, at version 2; latencies from the change's commit."""
    from standardwebhooks.webhooks import Webhook

    per: list[str] = []
    totals: Counter[str] = Counter()
    latencies: list[float] = []
    arrivals: list[float] = []
    sizes: list[int] = []
    for index, (hooks, secret) in enumerate(zip(collected, secrets_, strict=True)):
        signer = Webhook(secret)
        ids: Counter[str] = Counter()
        records: dict[str, set[str]] = {}
        bad_signature = wrong_version = unexpected = 0
        for arrived, msg_id, timestamp, signature, body in hooks:
            ids[msg_id] += 1
            sizes.append(len(body))
            data = json.loads(body)["data"]
            record = str(data["id"])
            records.setdefault(record, set()).add(msg_id)
            when = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
            if signer.sign(msg_id, when, body.decode()) not in signature.split():
                bad_signature += 1
            if data.get("version") != 2:
                wrong_version += 1
            if record in expected:
                latencies.append(arrived - expected[record][1])
            else:
                unexpected += 1
            arrivals.append(arrived)
        missing = len(set(expected) - set(records))
        figures = {
            "requests": len(hooks), "distinct_webhook_ids": len(ids), "distinct_records": len(records),
            "missing": missing, "unexpected": unexpected, "duplicate_requests": len(hooks) - len(ids),
            "records_under_several_ids": sum(1 for msg_ids in records.values() if len(msg_ids) > 1),
            "bad_signatures": bad_signature, "wrong_version": wrong_version,
        }  # fmt: skip
        totals.update(figures)
        per.append(f"receiver {index}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    arrivals.sort()
    timeline = []
    if arrivals:
        # Deliveries received per 10 s since the first change.
        buckets = Counter(int((a - t0) // 10) for a in arrivals)
        timeline = [buckets.get(b, 0) for b in range(max(buckets) + 1)]
    return {
        "totals": dict(totals), "per_receiver": per, "latency_from_commit": latency(latencies, "s"),
        "body_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "first_arrival": arrivals[0] if arrivals else None, "last_arrival": arrivals[-1] if arrivals else None,
        "received_per_10s": " ".join(str(v) for v in timeline),
    }  # fmt: skip


def _fanout_batches(made: list[float], gap: float = 5.0) -> str:
    """Creation times (s since the first change) as runs separated by more than ``gap`` seconds."""
    runs: list[list[float]] = []
    for at in sorted(made):
        if runs and at - runs[-1][-1] <= gap:
            runs[-1].append(at)
        else:
            runs.append([at])
    return ", ".join(f"{len(run)} at {run[0]:.0f}–{run[-1]:.0f} s" for run in runs)


def delivery_stats(t0: float, urls: list[str]) -> dict[str, Any]:
    from django.db.models import Count, Max, Min

    from apps.journal.models import AccessLogEntry
    from apps.sharing.models import WebhookDelivery

    rows = WebhookDelivery.objects.aggregate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"),
                                             delivered=Max("delivered_at"))  # fmt: skip
    statuses = dict(
        WebhookDelivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    attempts = dict(
        WebhookDelivery.objects.values_list("attempts").annotate(n=Count("pk")).values_list("attempts", "n")
    )
    logged = dict(
        AccessLogEntry.objects.values_list("channel").annotate(n=Count("pk")).values_list("channel", "n")
    )

    def since(value: dt.datetime | None) -> float | None:
        return round(value.timestamp() - t0, 2) if value else None

    per_endpoint: dict[str, tuple[list[float], list[float]]] = {}
    for url, created, delivered in WebhookDelivery.objects.values_list(
        "endpoint__url", "created_at", "delivered_at"
    ):
        made, sent = per_endpoint.setdefault(url, ([], []))
        made.append(created.timestamp() - t0)
        if delivered is not None:
            sent.append(delivered.timestamp() - t0)
    timeline = [
        f"receiver {urls.index(url)}: made {_fanout_batches(made)}; delivered {min(sent, default=0):.0f}–{max(sent, default=0):.0f} s"
        for url, (made, sent) in sorted(per_endpoint.items(), key=lambda item: urls.index(item[0]))
    ]  # fmt: skip
    return {"deliveries": rows["n"], "statuses": statuses, "attempts": {str(k): v for k, v in sorted(attempts.items())},
            "first_made_s": since(rows["first"]), "last_made_s": since(rows["last"]),
            "last_delivered_s": since(rows["delivered"]), "access_log_rows": logged,
            "per_receiver_fanout_and_delivery": timeline}  # fmt: skip


def webhook_in_process(records: list[tuple[str, Any]], actor: Any) -> dict[str, Any]:
    """Fan-out and delivery of a few changes in this process (the worker has stopped): where the time goes."""
    from django.db import connection

    from apps.sharing.models import DeliveryStatus, WebhookDelivery
    from apps.sharing.webhooks import deliveries_attempt, webhooks_fanout
    from apps.sharing.webhooks.messages import delivery_runs

    before = set(WebhookDelivery.objects.values_list("pk", flat=True))
    make_changes(records, actor, "profile")
    deadline = time.monotonic() + 60
    while _held_back() and time.monotonic() < deadline:  # the feed reads committed history only
        time.sleep(0.2)
    timed, clock = _timed_queries()
    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        made = webhooks_fanout()
        fanout_s = time.perf_counter() - started
    fanout_db_s, fanout_queries = clock["s"], clock["n"]
    pairs = [(pk, endpoint) for pk, endpoint in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
             .order_by("created_at", "pk").values_list("pk", "endpoint_id") if pk not in before]  # fmt: skip
    half = len(pairs) // 2
    clock["s"], clock["n"] = 0.0, 0
    outcomes: Counter[str] = Counter()

    def deliver(runs: list[list[str]]) -> None:  # as the worker does: a task per run of one endpoint
        for run in runs:
            outcomes.update(deliveries_attempt(delivery_ids=[uuid.UUID(pk) for pk in run]).values())

    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        deliver(delivery_runs(pairs[:half]))
        deliver_s = time.perf_counter() - started
    profile = cProfile.Profile()
    profile.enable()
    deliver(delivery_runs(pairs[half:]))
    profile.disable()
    return {
        "changes": len(records), "fanout": {"deliveries": made, "seconds": round(fanout_s, 3),
                                            "ms_per_delivery": round(fanout_s * 1000 / max(made, 1), 2),
                                            "db_share": round(fanout_db_s / fanout_s, 3), "queries": fanout_queries},
        "delivery": {"deliveries": half, "ms_per_delivery": round(deliver_s * 1000 / max(half, 1), 2),
                     "db_ms_per_delivery": round(clock["s"] * 1000 / max(half, 1), 2),
                     "queries_per_delivery": round(clock["n"] / max(half, 1), 1), "outcomes_all": dict(outcomes)},
        "delivery_profile": [f"{len(pairs) - half} deliveries:", *_profile_top(profile)],
    }  # fmt: skip


# --- main -------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buildings", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument(
        "--changes", type=int, default=5000, help="records changed (half buildings, half people)"
    )
    parser.add_argument("--receivers", type=int, default=10, help="receivers, endpoints and departments")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="Celery worker processes and ceiling threads"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--fanout-seconds", type=float, default=1.0, help="beat's fan-out interval")
    parser.add_argument("--ceiling-requests", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=900, help="longest wait for the deliveries, seconds")
    args = parser.parse_args()
    if min(args.buildings, args.people, args.changes, args.receivers, args.concurrency, args.web_workers) < 2:
        parser.error("every count must be at least 2")
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so `finally` runs
    begun = time.perf_counter()
    url, admin = _point_url()
    broker = _private_broker()
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["GRIDAPI_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        _recreate(admin)
    except Exception as exc:  # psycopg raises several kinds; all mean the same thing here
        raise SystemExit(f"cannot recreate {DB_NAME} (is `make services` running?): {exc}") from exc

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    logging.getLogger("apps.sharing.webhooks").setLevel(logging.WARNING)
    import httpx
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.services import api_key_create, user_create
    from apps.demo.territory import haicang_features
    from apps.journal.models import AccessLogEntry
    from apps.sharing.models import Subscription
    from apps.sharing.services import subscription_create
    from apps.sharing.webhooks import endpoint_create
    from apps.territory.models import TerritoryNode
    from apps.territory.services import territory_import
    from gridapi.celery import app as celery_app

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cursor.execute("SELECT version(), postgis_lib_version()")
        pg_version, postgis_version = cursor.fetchone()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = round(time.perf_counter() - started, 1)
    report = territory_import(feature_collection=haicang_features())
    if not report.ok:
        raise SystemExit(f"territory_import refused the demo territory: {report.as_dict()['errors'][:5]}")
    grids = [
        (g.pk, g.name, g.boundary.extent) for g in TerritoryNode.objects.filter(level="grid").order_by("code")
    ]
    results: dict[str, Any] = {
        "config": {**vars(args), "cpus": os.cpu_count(), "postgres": pg_version.split(" on ")[0],
                   "postgis": postgis_version, "grids": len(grids), "broker": f"private Redis database {PRIVATE_REDIS_DB}",
                   "fanout": "Celery beat (project schedule), the fan-out task on the worker"},
    }  # fmt: skip
    results["preload"] = {"migrate_s": migrate_s, **preload(args.buildings, args.people, grids)}
    print("preloaded", results["preload"], flush=True)

    district = TerritoryNode.objects.get(code=DISTRICT)
    admin_user = user_create(username="bench-admin", role="admin", password=uuid.uuid4().hex)
    feed_department = _department("BENCH-FEED", "基准订阅部门", district)
    feed_key = api_key_create(department=feed_department, name="bench feed reader").secret
    feed_subscription = subscription_create(
        department=feed_department, nodes=[district], actor=admin_user, name="全区实有房屋与人口",
        record_types=["building", "person"], fields=FEED_FIELDS, purpose="基准测试：全区数据共享", delivery="feed",
    )  # fmt: skip
    grid_ids = [g[0] for g in grids]
    results["feed_ceiling_psycopg"] = feed_ceiling(grid_ids)
    print("feed ceiling", results["feed_ceiling_psycopg"], flush=True)

    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridapi.settings.local", CELERY_BROKER_URL=broker,
               GRIDAPI_WEBHOOK_ALLOWED_HOSTS="127.0.0.1", GRIDAPI_WEBHOOK_FANOUT_SECONDS=str(args.fanout_seconds),
               PYTHONUNBUFFERED="1")  # fmt: skip
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    server = worker = beat = None
    receivers: Receivers | None = None
    scratch = tempfile.TemporaryDirectory(prefix="bench-sharing-")
    try:
        receivers = Receivers(args.receivers)
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "gridapi.wsgi:application", "-b",
                                   f"127.0.0.1:{port}", "-w", str(args.web_workers), "--timeout", "600",
                                   "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)  # fmt: skip
        wait_healthy(server, base)

        # --- feeds over HTTP
        http = httpx.Client(base_url=base, timeout=600, headers={"Authorization": f"Bearer {feed_key}"})
        with CpuMeter({"gunicorn": [server.pid]}, db_name=DB_NAME) as cpu:
            snapshot, feed_cursor = read_feed(http, feed_subscription.pk, None)
        snapshot["cpu"] = cpu.summary()
        snapshot["access_log_rows"] = AccessLogEntry.objects.filter(channel="feed").count()
        results["feed_snapshot_http"] = snapshot
        print("feed snapshot", snapshot, flush=True)
        by_type = {}
        for kind in ("building", "person"):
            one = subscription_create(
                department=feed_department, nodes=[district], actor=admin_user, name=f"{kind} only",
                record_types=[kind], fields=[f for f in FEED_FIELDS if f.startswith(f"{kind}.")],
                purpose="基准测试：按类型剖析", delivery="feed",
            )  # fmt: skip
            by_type[kind] = Subscription.objects.prefetch_related("nodes").get(pk=one.pk)
        results["feed_in_process"] = feed_in_process(by_type, 10)
        for kind, figures in results["feed_in_process"].items():
            print(
                f"feed in-process {kind}",
                {k: v for k, v in figures.items() if "profile" not in k},
                flush=True,
            )

        # --- webhooks: endpoints, subscriptions, the ceiling
        secrets_ = []
        for i, hook_url in enumerate(receivers.urls()):
            department = _department(f"BENCH-WH-{i:02d}", f"基准接收部门{i + 1}", district)
            endpoint, secret = endpoint_create(department=department, url=hook_url, receives_events=False)
            subscription_create(
                department=department, nodes=[district], actor=admin_user, name="全区变更推送",
                record_types=["building", "person"], fields=WEBHOOK_FIELDS, purpose="基准测试：变更推送",
                delivery="webhook", endpoint=endpoint,
            )  # fmt: skip
            secrets_.append(secret)
        bodies = sample_bodies(200, secrets_[0])
        roots = {"receivers": receivers.pids, "gunicorn": [server.pid]}
        ceilings: dict[str, Any] = {"body_bytes_mean": round(sum(len(b) for b, _h in bodies) / len(bodies))}
        ceiling_urls = receivers.urls("/ceiling")
        webhook_ceiling(ceiling_urls, bodies, args.concurrency, 200, "keepalive", roots)  # warm up
        # The best of 3 (of 1 for the slow one): the machine is shared, and a ceiling is what the best run shows.
        for mode, n, tries in (("keepalive", args.ceiling_requests, 3), ("new_connection", args.ceiling_requests, 3),
                               ("new_client", max(200, args.ceiling_requests // 5), 1)):  # fmt: skip
            runs = [
                webhook_ceiling(ceiling_urls, bodies, args.concurrency, n, mode, roots) for _ in range(tries)
            ]
            ceilings[mode] = max(runs, key=lambda run: run["requests_per_s"])
            ceilings[mode]["runs_requests_per_s"] = [run["requests_per_s"] for run in runs]
            print(f"webhook ceiling {mode}", ceilings[mode], flush=True)
        results["webhook_ceiling_httpx"] = ceilings

        # --- webhooks end to end: worker, beat, changes through the services
        celery_app.control.purge()  # the private queue: whatever an earlier, interrupted run left
        celery = [str(Path(sys.executable).parent / "celery"), "-A", "gridapi"]
        worker = subprocess.Popen([*celery, "worker", "-Q", "celery,webhooks", "--concurrency", str(args.concurrency), "--without-gossip",
                                   "--without-mingle", "--loglevel", "WARNING", "-n", f"bench-sharing-{os.getpid()}@%h"],
                                  cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)  # fmt: skip
        ready_s = _wait_worker(worker)
        beat = subprocess.Popen([*celery, "beat", "--schedule", str(Path(scratch.name) / "beat-schedule"),
                                 "--loglevel", "WARNING"], cwd=ROOT, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL)  # fmt: skip
        rng = random.Random(17)
        records = changed_records(args.changes, rng)
        roots = {"receivers": receivers.pids, "celery": [worker.pid, beat.pid], "gunicorn": [server.pid]}
        with CpuMeter(roots, db_name=DB_NAME) as cpu:
            t0 = time.time()
            changes = make_changes(records, admin_user, "wh")
            t1 = time.time()
            print("changes made", {k: v for k, v in changes.items() if k != "_done"}, flush=True)
            waited = wait_delivered(receivers, len(records), args.timeout)
        done = changes.pop("_done")
        expected = {str(pk): (kind, done[str(pk)]) for kind, pk in records}
        received = check_received(receivers.collect(), secrets_, expected, t0)
        stats = delivery_stats(t0, receivers.urls())
        first, last = received.pop("first_arrival"), received.pop("last_arrival")
        distinct = received["totals"].get("distinct_webhook_ids", 0)
        end_to_end = (last - t0) if last else float("nan")
        results["webhooks_end_to_end"] = {
            "worker_ready_s": ready_s, "changes": changes, **waited,
            "expected_deliveries": len(records) * args.receivers, "received_distinct": distinct,
            "end_to_end_s": round(end_to_end, 2), "deliveries_per_s": round(distinct / end_to_end, 1),
            "changes_per_s_end_to_end": round(len(records) / end_to_end, 1),
            "first_arrival_s": round(first - t0, 2) if first else None,
            "drain_after_last_change_s": round(last - t1, 2) if last else None,
            "deliveries_per_s_while_arriving": round(distinct / (last - first), 1) if last and last > first else None,
            "received": received, "outbox": stats, "cpu": cpu.summary(),
            "celery_pool_peak_rss_mb": peak_rss_mb(worker.pid),
        }  # fmt: skip
        print(
            "webhooks",
            {k: v for k, v in results["webhooks_end_to_end"].items() if k != "received"},
            flush=True,
        )
        _stop(beat)
        _stop(worker)
        celery_app.control.purge()  # expired beat tasks and due-scan leftovers

        # --- the incremental feed: the changes since the snapshot ended
        with CpuMeter({"gunicorn": [server.pid]}, db_name=DB_NAME) as cpu:
            incremental, _cursor = read_feed(http, feed_subscription.pk, feed_cursor)
        incremental["cpu"] = cpu.summary()
        results["feed_incremental_http"] = incremental
        print("feed incremental", incremental, flush=True)
        results["web_worker_peak_rss_mb"] = peak_rss_mb(server.pid)
        http.close()

        # --- in-process: where a webhook's time goes
        extra = [
            r for r in changed_records(args.changes + 2 * PROFILE_CHANGES, rng) if str(r[1]) not in expected
        ]
        results["webhook_in_process"] = webhook_in_process(extra[:PROFILE_CHANGES], admin_user)
        celery_app.control.purge()  # the tasks the in-process fan-out queued (delivered here already)
    finally:
        _stop(beat)
        _stop(worker)
        if worker is not None:
            with contextlib.suppress(Exception):  # leave the private queue empty, even after an interruption
                celery_app.control.purge()
        _stop(server)
        if receivers is not None:
            receivers.stop()
        scratch.cleanup()

    feed, ceiling = results["feed_snapshot_http"], results["feed_ceiling_psycopg"]
    hooks, wh_ceiling = results["webhooks_end_to_end"], results["webhook_ceiling_httpx"]
    results["ratios"] = {
        "feed_snapshot_vs_psycopg_all_rows": round(feed["records_per_s"] / ceiling["all_rows"]["records_per_s"], 4),
        "feed_snapshot_vs_psycopg_keyset_pages": round(feed["records_per_s"] / ceiling[f"keyset_pages_of_{PAGE}"]["records_per_s"], 4),
        "feed_incremental_vs_psycopg_all_rows": round(results["feed_incremental_http"]["records_per_s"] / ceiling["all_rows"]["records_per_s"], 4),
        "webhook_deliveries_vs_httpx_keepalive": round(hooks["deliveries_per_s"] / wh_ceiling["keepalive"]["requests_per_s"], 4),
        "webhook_deliveries_vs_httpx_new_connection": round(hooks["deliveries_per_s"] / wh_ceiling["new_connection"]["requests_per_s"], 4),
        "webhook_deliveries_vs_httpx_new_client": round(hooks["deliveries_per_s"] / wh_ceiling["new_client"]["requests_per_s"], 4),
    }  # fmt: skip
    totals = hooks["received"]["totals"]
    results["checks"] = {
        "feed_snapshot_complete": feed["records"] == args.buildings + args.people,
        "feed_incremental_complete": results["feed_incremental_http"]["records"] == args.changes,
        "every_change_at_every_receiver": not hooks["timed_out"] and totals.get("missing", 1) == 0,
        "duplicates": totals.get("duplicate_requests", 0) + totals.get("records_under_several_ids", 0),
        "bad_signatures": totals.get("bad_signatures", 0),
    }
    results["total_s"] = round(time.perf_counter() - begun, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sharing.json").write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    print(_table(results))


if __name__ == "__main__":
    main()
