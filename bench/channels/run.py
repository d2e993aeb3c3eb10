"""Mixed-channel benchmark: reports from grid workers, Open311, the 12345 hotline and sensors, side by side.

    .venv/bin/python -m bench.channels.run [--rounds 200] [--workers 2] [--no-http]

On its own database (``gridapi_bench_channels``, recreated): the demo territory (海沧区) with the demo's
departments and routing rules, a grid worker assigned to every grid, one channel of each kind with mappings.
Each round sends one report per channel at a random point inside a random grid (a fifth of them near an earlier
point of the same channel, so the duplicate path runs too): the worker's ``POST /api/v1/events/``, an Open311
``POST /open311/v2/requests.json`` (form-encoded), a hotline batch of one work order, a sensor alarm (a new
sensor, or — every third — a repeat of an earlier one, which attaches to its event).

Measured per channel: in-process (the view through Django's test client, no HTTP) the time per report and the
queries per report (CaptureQueriesContext); then over HTTP to gunicorn (``--workers`` sync workers) by one
sequential client, p50/p95 per report. Results go to ``bench/results/channels.json`` and are printed as a table.
"""

import argparse
import datetime as dt
import json
import logging
import math
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.database import point_url, recreate  # noqa: E402
from bench.server import wait_healthy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_channels"
CHANNELS = ("worker", "open311", "hotline", "sensor")
HOTLINE_MAPPINGS = {"0301": "dispute_neighbour", "0702": "sanitation_garbage", "1101": "municipal_road",
                    "0405": "traffic_parking"}  # fmt: skip
SENSOR_MAPPINGS = {
    "smoke": "fire_rental",
    "water_level": "municipal_manhole",
    "dumping": "sanitation_garbage",
}
WORKER_CATEGORIES = ["dispute_neighbour", "sanitation_garbage", "municipal_road", "fire_passage_blocked"]
OPEN311_CATEGORIES = ["sanitation_garbage", "municipal_road", "municipal_streetlight", "traffic_parking"]
DUPLICATE_SHARE = 0.2


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _summary(seconds: list[float], queries: list[int] | None = None) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    body: dict[str, Any] = {"reports": len(ms), "median_ms": round(_pct(ms, 0.5), 2),
                            "p95_ms": round(_pct(ms, 0.95), 2), "max_ms": round(max(ms), 2) if ms else None}  # fmt: skip
    if queries:
        body["queries_median"], body["queries_max"] = int(_pct(queries, 0.5)), max(queries)
    return body


class Points:
    """Random points inside the demo's grids (their interior shrunk by 40 m), and near earlier points."""

    def __init__(self, seed: int) -> None:
        from django.db import connection

        self.random = random.Random(seed)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_AsText(ST_Buffer(boundary::geography, -40)::geometry) FROM territory_territorynode "
                "WHERE level = 'grid'"
            )
            from django.contrib.gis.geos import GEOSGeometry

            self.grids = [GEOSGeometry(row[0], srid=4326) for row in cursor.fetchall() if row[0]]
        self.earlier: dict[str, list[tuple[float, float]]] = {c: [] for c in CHANNELS}

    def next(self, channel: str) -> tuple[float, float]:
        earlier = self.earlier[channel]
        if earlier and self.random.random() < DUPLICATE_SHARE:
            lon, lat = self.random.choice(earlier)
            return lon + self.random.uniform(-0.0002, 0.0002), lat + self.random.uniform(-0.0002, 0.0002)
        grid = self.random.choice(self.grids)
        west, south, east, north = grid.extent
        from django.contrib.gis.geos import Point

        while True:
            lon, lat = self.random.uniform(west, east), self.random.uniform(south, north)
            if grid.contains(Point(lon, lat, srid=4326)):
                earlier.append((lon, lat))
                return lon, lat


class Senders:
    """One request per channel, as (path, kwargs for the client's post)."""

    def __init__(self, points: Points, keys: dict[str, str], token: str) -> None:
        self.points, self.keys, self.token = points, keys, token
        self.random = points.random
        self.sensors: list[tuple[str, float, float]] = []
        self.n = 0

    def make(self, channel: str) -> tuple[str, dict[str, Any], dict[str, str]]:
        self.n += 1
        lon, lat = self.points.next(channel)
        now = dt.datetime.now(dt.UTC)
        if channel == "worker":
            body = {"category": self.random.choice(WORKER_CATEGORIES), "title": "巡查发现",
                    "location": {"type": "Point", "coordinates": [lon, lat]}}  # fmt: skip
            return "/api/v1/events/", {"json": body}, {"Authorization": f"Bearer {self.token}"}
        if channel == "open311":
            form = {"api_key": self.keys["open311"], "service_code": self.random.choice(OPEN311_CATEGORIES),
                    "lat": str(lat), "long": str(lon), "description": "市民随手拍"}  # fmt: skip
            return "/open311/v2/requests.json", {"data": form}, {}
        if channel == "hotline":
            order = {"order_no": f"GD{self.n:08d}-{uuid.uuid4().hex[:6]}", "title": "市民来电",
                     "category": self.random.choice(list(HOTLINE_MAPPINGS)), "content": "来电反映", "lon": lon,
                     "lat": lat, "caller": {"name": "王先生", "phone": "13912345678"}}  # fmt: skip
            return ("/api/v1/channels/hotline/orders/", {"json": {"orders": [order]}},
                    {"Authorization": f"Bearer {self.keys['hotline']}"})  # fmt: skip
        if self.sensors and self.n % 3 == 0:
            sensor_id, lon, lat = self.random.choice(self.sensors)
        else:
            sensor_id = f"S-{self.n:06d}"
            self.sensors.append((sensor_id, lon, lat))
        alarm = {"sensor_id": sensor_id, "kind": self.random.choice(list(SENSOR_MAPPINGS)), "level": "alarm",
                 "at": now.isoformat(), "lon": lon, "lat": lat}  # fmt: skip
        return ("/api/v1/channels/sensors/alarms/", {"json": {"alarms": [alarm]}},
                {"Authorization": f"Bearer {self.keys['sensor']}"})  # fmt: skip


def setup() -> tuple[dict[str, str], Any, str]:
    """Territory, departments and rules of the demo; a worker on every grid; a channel of each kind."""
    from apps.accounts.services import device_token_issue, user_create
    from apps.channels.services import channel_create, channel_mappings_set
    from apps.demo import events as demo_events
    from apps.demo.people import DEPARTMENTS
    from apps.demo.territory import haicang_features
    from apps.departments.services import department_upsert
    from apps.territory.models import TerritoryNode
    from apps.territory.services import grid_assignment_create, territory_import

    report = territory_import(feature_collection=haicang_features())
    assert report.ok, report.as_dict()
    nodes = {n.code: n for n in TerritoryNode.objects.defer("boundary")}
    departments: dict[str, Any] = {}
    for code, name, name_en, jurisdiction, parent in DEPARTMENTS:
        departments[code] = department_upsert(code=code, name=name, name_en=name_en, jurisdiction=nodes[jurisdiction],
                                              parent=departments.get(parent) if parent else None)  # fmt: skip
    demo_events.load(departments)
    password = uuid.uuid4().hex
    worker = user_create(username="bench-worker", role="grid_worker", password=password)
    for node in nodes.values():
        if node.level == "grid":
            grid_assignment_create(worker=worker, grid=node, valid_from=dt.date(2026, 1, 1))
    token = device_token_issue(username=worker.username, password=password, device_id="bench").secret
    keys = {}
    for kind, mappings in (("open311", {}), ("hotline", HOTLINE_MAPPINGS), ("sensor", SENSOR_MAPPINGS)):
        channel, keys[kind] = channel_create(
            name=f"bench {kind}", kind=kind, triage_category="dispute_neighbour"
        )
        if mappings:
            channel_mappings_set(channel=channel, mappings=mappings)
    return keys, worker, token


def in_process(senders: Senders, rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    seconds: dict[str, list[float]] = {c: [] for c in CHANNELS}
    queries: dict[str, list[int]] = {c: [] for c in CHANNELS}
    by_outcome: dict[str, tuple[list[float], list[int]]] = {}
    for _ in range(rounds):
        for channel in CHANNELS:
            path, kwargs, headers = senders.make(channel)
            if "json" in kwargs:
                kwargs = {"data": json.dumps(kwargs["json"]), "content_type": "application/json"}
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.post(path, headers=headers, **kwargs)
                seconds[channel].append(time.perf_counter() - started)
            if response.status_code not in {200, 201}:
                raise SystemExit(f"{channel}: {response.status_code} {response.content[:300]!r}")
            queries[channel].append(len(captured.captured_queries))
            key = f"{channel}:{_outcome(response.json())}"
            by_outcome.setdefault(key, ([], []))
            by_outcome[key][0].append(seconds[channel][-1])
            by_outcome[key][1].append(queries[channel][-1])
    return {**{c: _summary(seconds[c], queries[c]) for c in CHANNELS},
            "by_outcome": {k: _summary(*v) for k, v in sorted(by_outcome.items())}}  # fmt: skip


def _outcome(body: Any) -> str:
    """created / merged (attached to an open event) / …, as each endpoint answers it."""
    if isinstance(body, dict) and "results" in body:
        return str(body["results"][0]["outcome"])
    if isinstance(body, dict):
        return str(body.get("outcome") or body.get("properties", {}).get("outcome") or "created")
    return "created"  # Open311 answers the request's id only


def over_http(base: str, senders: Senders, rounds: int) -> dict[str, Any]:
    import httpx

    seconds: dict[str, list[float]] = {c: [] for c in CHANNELS}
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(rounds):
            for channel in CHANNELS:
                path, kwargs, headers = senders.make(channel)
                started = time.perf_counter()
                response = client.post(path, headers=headers, **kwargs)
                seconds[channel].append(time.perf_counter() - started)
                if response.status_code not in {200, 201}:
                    raise SystemExit(f"{channel}: {response.status_code} {response.text[:300]}")
    return {c: _summary(seconds[c]) for c in CHANNELS}


def _table(results: dict[str, Any]) -> str:
    lines = ["| channel | in-process median / p95 ms | queries per report (median / max) | HTTP median / p95 ms |",
             "|---|---|---|---|"]  # fmt: skip
    for channel in CHANNELS:
        local = results["in_process"][channel]
        http = results.get("http", {}).get(channel)
        remote = f"{http['median_ms']} / {http['p95_ms']}" if http else "—"
        lines.append(f"| {channel} | {local['median_ms']} / {local['p95_ms']} | "
                     f"{local['queries_median']} / {local['queries_max']} | {remote} |")  # fmt: skip
    for key, local in results["in_process"]["by_outcome"].items():
        lines.append(f"| {key} | {local['median_ms']} / {local['p95_ms']} | "
                     f"{local['queries_median']} / {local['queries_max']} | |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="reports per channel and phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    args = parser.parse_args()
    begun = time.perf_counter()
    url, admin = point_url(DB_NAME)
    recreate(admin, DB_NAME)

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    keys, _worker, token = setup()
    points = Points(seed=311)
    senders = Senders(points, keys, token)
    results: dict[str, Any] = {"config": {**vars(args), "cpus": os.cpu_count()}}
    results["in_process"] = in_process(senders, args.rounds)
    print("in-process", results["in_process"], flush=True)
    if not args.no_http:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridapi.settings.local")
        port = 19000 + os.getpid() % 1000
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "gridapi.wsgi:application", "-b",
                                   f"127.0.0.1:{port}", "-w", str(args.workers), "--timeout", "120",
                                   "--log-level", "warning"], cwd=ROOT, env=env)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(server, base)
            results["http"] = over_http(base, senders, args.rounds)
            print("http", results["http"], flush=True)
        finally:
            server.terminate()
            server.wait(30)
    from django.db.models import Count

    from apps.events.models import Event

    results["events_by_source"] = dict(Event.objects.values_list("source").annotate(n=Count("id")))
    results["total_s"] = round(time.perf_counter() - begun, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "channels.json").write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    print(_table(results))


if __name__ == "__main__":
    main()
