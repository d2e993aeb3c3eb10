"""Event benchmark: report and route events against a preloaded event table, with a raw-PostgreSQL ceiling.

    .venv/bin/python -m bench.events.run [--grids 2000] [--events 100000] [--reports 2000] [--threads 4]
                                         [--workers 2]

In one run, on its own database (``gridapi_bench_events``, recreated): import a synthetic city through
``territory_import`` (1 city, ``grids / 500`` districts of 5 subdistricts × 10 communities × 10 grids, rectangles
that tile exactly); create a department per node above the grids and, per event family, a routing rule at every
community, subdistrict, district and the city (bulk); preload the event table by COPY (random categories and
grids, ~10 % open, the rest mostly closed, reported over the last 90 days) and VACUUM ANALYZE it.

Then measure:

* the ceiling: per report, the routing's point-in-grid SQL plus a single-row INSERT of an event row into a scratch
  copy of the event table (same rows, same indexes), one transaction each, with psycopg: sequentially, and with
  ``--threads`` connections;
* in-process (no HTTP): ``event_report`` alone (duplicate check, routing, writes), and the whole view through
  DRF's APIClient (with the share of the time spent in the database), and the queries of one created and one
  merged report (CaptureQueriesContext);
* over HTTP to gunicorn (the production server, ``--workers`` sync workers): a grid worker signed in by
  ``POST /api/v1/auth/token/`` posts ``/api/v1/events/`` reports well inside random grids (≥ 55 m from the edges,
  the boundary margin is 30 m, so they route), a fifth of them close to an event created earlier in the run
  (same family, within 30 % of the duplicate radius), first by one sequential client (round-trip latency on
  loopback), then by ``--threads`` concurrent clients (throughput).

Every timed phase also says where the CPU went (gunicorn, the bench database's backends, the client, other
processes): the machine is shared, and ``warnings`` names the phases another process slowed down. "Other" also
holds what the bench causes outside those processes (Redis for the throttle, PostgreSQL's WAL writer, the kernel's
loopback), about 0.1 core.

Each device token is used for at most 500 reports, under the 600/min device throttle, which stays on. Results go
to ``bench/results/events.json`` and are printed as a table; the target is p95 under 50 ms per report.
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
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import CpuMeter, latency, pct, peak_rss_mb, point_url, recreate, wait_healthy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_events"
P99 = (0.5, 0.95, 0.99)

# The synthetic city: a lattice of grid cells of 0.004° × 0.003° (about 405 m × 333 m at 24.4° N).
LON0, LAT0 = 118.0, 24.4
GRID_DX, GRID_DY = 0.004, 0.003
SUBDISTRICTS, COMMUNITY_COLS, COMMUNITY_ROWS, GRID_COLS, GRID_ROWS = 5, 2, 5, 5, 2
GRIDS_PER_DISTRICT = SUBDISTRICTS * COMMUNITY_COLS * COMMUNITY_ROWS * GRID_COLS * GRID_ROWS  # 500
EDGE_MARGIN_M = 55.0  # new reports stay this far inside their grid; the boundary margin is 30 m
DUPLICATE_SHARE = 0.20
TOKEN_BUDGET = 500  # reports per device token: under the 600/min device throttle
TARGET_P95_MS = 50.0
REPORT_URL = "/api/v1/events/"


def _point_url() -> tuple[str, dict[str, Any]]:
    return point_url(DB_NAME)


def _recreate(admin: dict[str, Any]) -> None:
    recreate(admin, DB_NAME)


# --- statistics ----------------------------------------------------------------------------------


# --- territory -----------------------------------------------------------------------------------


def _x(i: int) -> float:
    return round(LON0 + i * GRID_DX, 7)


def _y(j: int) -> float:
    return round(LAT0 + j * GRID_DY, 7)


def _feature(
    code: str, name: str, level: str, parent: str | None, cells: tuple[int, int, int, int]
) -> dict[str, Any]:
    """A node covering the lattice cells [i0, i1) × [j0, j1): shared edges come from the same numbers."""
    i0, j0, i1, j1 = cells
    ring = [[_x(i0), _y(j0)], [_x(i1), _y(j0)], [_x(i1), _y(j1)], [_x(i0), _y(j1)], [_x(i0), _y(j0)]]
    return {"type": "Feature", "properties": {"code": code, "name": name, "level": level, "parent": parent},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}}  # fmt: skip


def city_features(districts: int) -> dict[str, Any]:
    """1 city → ``districts`` districts → 5 subdistricts → 10 communities → 10 grids, parents first."""
    width, height = (
        SUBDISTRICTS * COMMUNITY_COLS * GRID_COLS,
        COMMUNITY_ROWS * GRID_ROWS,
    )  # a district, in grids
    features = [_feature("BC", "基准市", "city", None, (-2, -2, width + 2, height * districts + 2))]
    lower: list[dict[str, Any]] = []
    for d in range(districts):
        dj = d * height
        dcode = f"BC-D{d}"
        features.append(_feature(dcode, f"第{d + 1}区", "district", "BC", (0, dj, width, dj + height)))
        for s in range(SUBDISTRICTS):
            si = s * COMMUNITY_COLS * GRID_COLS
            scode = f"D{d}S{s}"
            lower.append(_feature(scode, f"第{d + 1}区第{s + 1}街道", "subdistrict", dcode,
                                  (si, dj, si + COMMUNITY_COLS * GRID_COLS, dj + height)))  # fmt: skip
            for c in range(COMMUNITY_COLS * COMMUNITY_ROWS):
                ci, cj = si + (c % COMMUNITY_COLS) * GRID_COLS, dj + (c // COMMUNITY_COLS) * GRID_ROWS
                ccode = f"{scode}C{c}"
                lower.append(_feature(ccode, f"{scode}第{c + 1}社区", "community", scode,
                                      (ci, cj, ci + GRID_COLS, cj + GRID_ROWS)))  # fmt: skip
                for g in range(GRID_COLS * GRID_ROWS):
                    gi, gj = ci + g % GRID_COLS, cj + g // GRID_COLS
                    lower.append(_feature(f"{ccode}G{g}", f"{ccode}第{g + 1}网格", "grid", ccode,
                                          (gi, gj, gi + 1, gj + 1)))  # fmt: skip
    return {"type": "FeatureCollection", "features": features + lower}


@dataclass(frozen=True)
class Grid:
    id: Any
    code: str
    path: str
    box: tuple[float, float, float, float]
    departments: dict[str, Any] = field(default_factory=dict)  # handling level → department id


def load_territory(districts: int) -> tuple[list[Grid], dict[str, float]]:
    from django.db import connection

    from apps.departments.models import Department
    from apps.events.models import EventFamily, RoutingRule
    from apps.events.services import routing_rule_problems
    from apps.territory.models import TerritoryNode
    from apps.territory.services import territory_import

    timings: dict[str, float] = {}
    collection = city_features(districts)
    started = time.perf_counter()
    report = territory_import(feature_collection=collection)
    if not report.ok:
        raise SystemExit(f"territory_import refused the synthetic city: {report.as_dict()['errors'][:5]}")
    timings["territory_import_s"] = round(time.perf_counter() - started, 2)
    timings["territory_nodes"] = report.created

    started = time.perf_counter()
    nodes = list(TerritoryNode.objects.exclude(level="grid").defer("boundary"))
    new = [Department(code=f"{node.code}-ZX", name=f"{node.name}处置中心", level=node.level, jurisdiction=node)
           for node in nodes]  # fmt: skip
    departments = Department.objects.bulk_create(new)
    by_node = {dept.jurisdiction_id: dept for dept in departments}
    families = list(EventFamily.objects.values_list("code", flat=True))
    new_rules = [RoutingRule(family_id=family, level=node.level, node=node, department=by_node[node.pk])
                 for node in nodes for family in families]  # fmt: skip
    rules = RoutingRule.objects.bulk_create(new_rules)
    timings["departments"], timings["routing_rules"] = len(departments), len(rules)
    timings["departments_and_rules_s"] = round(time.perf_counter() - started, 2)
    # Valid by construction; the service's own check on one rule per level proves it.
    checked: set[str] = set()
    for rule in rules:
        if rule.level in checked:
            continue
        problems = routing_rule_problems(category=None, family=rule.family, level=rule.level, node=rule.node,
                                         department=rule.department, exclude_pk=rule.pk)  # fmt: skip
        if problems:
            raise SystemExit(f"routing rule {rule} is invalid: {problems}")
        checked.add(rule.level)

    by_code = {node.code: by_node[node.pk] for node in nodes}
    grids = []
    for grid in TerritoryNode.objects.filter(level="grid").order_by("code"):
        depts = {by_code[code].level: by_code[code].pk for code in grid.ancestor_codes}
        grids.append(Grid(grid.pk, grid.code, grid.path, grid.boundary.extent, depts))
    if any(len(grid.departments) != 4 for grid in grids):
        raise SystemExit("some grid lacks a department at one of the four levels")
    first = grids[0]
    if first.path != f"BC/BC-D0/D0S0/D0S0C0/{first.code}/" or len(grids) != districts * GRIDS_PER_DISTRICT:
        raise SystemExit(f"unexpected territory: {len(grids)} grids, first path {first.path}")
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE territory_territorynode; ANALYZE events_routingrule; ANALYZE departments_department"
        )
    return grids, timings


# --- event rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    code: str
    family: str
    level: str
    radius_m: int
    sign_hours: float


def _array(values: list[Any]) -> str:
    return "{" + ",".join(str(v) for v in values) + "}"


class EventRows:
    """Event rows in the table's column order, for COPY and for the ceiling's INSERT.

    Columns come from the model, so a field added to ``Event`` needs no change here unless it has no default.
    """

    def __init__(self) -> None:
        from apps.events.models import Event

        self.fields = list(Event._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            default = f.get_default()  # "" for text without a default, None for a nullable field
            if default is not None or f.null:
                self.defaults[f.attname] = self._text(default)

    @staticmethod
    def _text(value: Any) -> Any:
        if isinstance(value, list):
            return _array(value)
        if isinstance(value, dict):
            return json.dumps(value)
        return value

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for f in self.fields:
            if f.attname in row:
                out.append(self._text(row[f.attname]))
            elif f.attname in self.defaults:
                out.append(self.defaults[f.attname])
            else:
                raise SystemExit(f"the bench gives no value for events_event.{f.column} (no default)")
        return out

    @staticmethod
    def row(*, rng: random.Random, grid: Grid, category: Category, status: str, reported_at: dt.datetime,
            reporter_id: Any, lon: float, lat: float) -> dict[str, Any]:  # fmt: skip
        from apps.core.ids import uuid7

        hour = dt.timedelta(hours=1)
        department = None if status in {"reported", "cancelled"} else grid.departments[category.level]
        row: dict[str, Any] = {
            "id": uuid7(), "created_at": reported_at, "updated_at": reported_at, "version": 1,
            "category_id": category.code, "title": f"{category.code} {grid.code}", "description": "基准事件",
            "reported_at": reported_at, "reporter_id": reporter_id, "location": f"SRID=4326;POINT({lon} {lat})",
            "grid_id": grid.id, "territory_path": grid.path, "status": status, "level": category.level,
            "department_id": department, "report_count": 1,
            "routing": {"triage": department is None, "level": category.level, "grid": grid.code},
        }  # fmt: skip
        if department is not None:
            dispatched = reported_at + dt.timedelta(minutes=rng.uniform(1, 30))
            row.update(dispatched_at=dispatched, sign_by=dispatched + category.sign_hours * hour, version=3)
            if status not in {"accepted", "dispatched"}:
                signed = dispatched + rng.uniform(0.1, 2) * hour
                row.update(signed_at=signed, handle_by=signed + 5 * 24 * hour, version=5)
                if status in {"handled", "closed", "rated"}:
                    row.update(handled_at=signed + rng.uniform(2, 96) * hour, version=6)
                if status in {"closed", "rated"}:
                    row.update(closed_at=row["handled_at"] + rng.uniform(1, 24) * hour, version=7)
                if status == "rated":
                    row.update(rating=rng.choice([3, 4, 5, 5, 5]), version=8)
        if status == "cancelled":
            row.update(closed_at=reported_at + rng.uniform(1, 24) * hour, version=2)
        return row


def _categories() -> list[Category]:
    from apps.events.models import EventCategory

    return [Category(c.code, c.family_id, c.default_level, c.duplicate_radius_m, float(c.sign_hours))
            for c in EventCategory.objects.filter(is_active=True).order_by("code")]  # fmt: skip


def preload(n: int, grids: list[Grid], categories: list[Category], reporter_id: Any) -> dict[str, Any]:
    """``n`` events by COPY: 10 % open (any open status), 60 % closed, 25 % rated, 5 % cancelled."""
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(21)
    rows = EventRows()
    now = timezone.now()
    open_statuses = ["reported", "accepted", "dispatched", "signed", "in_progress", "handled"]
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY events_event ({', '.join(rows.columns)}) FROM STDIN") as copy:
            for _ in range(n):
                grid, category = rng.choice(grids), rng.choice(categories)
                x0, y0, x1, y1 = grid.box
                roll = rng.random()
                status = (rng.choice(open_statuses) if roll < 0.10 else "closed" if roll < 0.70
                          else "rated" if roll < 0.95 else "cancelled")  # fmt: skip
                statuses[status] += 1
                copy.write_row(rows.values(rows.row(
                    rng=rng, grid=grid, category=category, status=status, reporter_id=reporter_id,
                    reported_at=now - dt.timedelta(seconds=rng.uniform(0, 90 * 86400)),
                    lon=rng.uniform(x0, x1), lat=rng.uniform(y0, y1),
                )))  # fmt: skip
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        # VACUUM too, as a live table would be: hint bits and the visibility map set, no autovacuum mid-run.
        cursor.execute("VACUUM (ANALYZE)")
        analyze_s = time.perf_counter() - started
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('events_event'))")
        size = cursor.fetchone()[0]
    return {"events": n, "copy_s": round(copy_s, 2), "events_per_s": round(n / copy_s), "vacuum_analyze_s": round(analyze_s, 2),
            "table_size": size, "open": sum(statuses[s] for s in open_statuses), "statuses": dict(statuses)}  # fmt: skip


# --- report generation ---------------------------------------------------------------------------


class Reports:
    """Report bodies: new ones well inside a random grid, and a share close to an open event created earlier.

    Thread-safe; ``created`` records each event the server created so later reports can duplicate it.
    """

    def __init__(self, grids: list[Grid], categories: list[Category], seed: int) -> None:
        self.rng = random.Random(seed)
        self.grids, self.categories = grids, categories
        self.by_family: dict[str, list[Category]] = {}
        for category in categories:
            self.by_family.setdefault(category.family, []).append(category)
        self.open: list[tuple[str, float, float]] = []
        self.lock = threading.Lock()

    def next(self) -> tuple[dict[str, Any], str, Category]:
        """(JSON body, "new" or "near", category)."""
        with self.lock:
            rng = self.rng
            if self.open and rng.random() < DUPLICATE_SHARE:
                family, lon0, lat0 = rng.choice(self.open)
                category = rng.choice(self.by_family[family])
                distance, bearing = rng.uniform(0, 0.3 * category.radius_m), rng.uniform(0, 2 * math.pi)
                lon = lon0 + distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat0)))
                lat = lat0 + distance * math.cos(bearing) / 110_574.0
                kind = "near"
            else:
                grid, category = rng.choice(self.grids), rng.choice(self.categories)
                x0, y0, x1, y1 = grid.box
                mx = EDGE_MARGIN_M / (111_320.0 * math.cos(math.radians((y0 + y1) / 2)))
                my = EDGE_MARGIN_M / 110_574.0
                lon, lat = rng.uniform(x0 + mx, x1 - mx), rng.uniform(y0 + my, y1 - my)
                kind = "new"
            serial = rng.randrange(10**6)
        body = {"category": category.code, "title": f"{category.code} #{serial}",
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "description": "网格员巡查发现，现场拍照上报。"}  # fmt: skip
        return body, kind, category

    def created(self, category: Category, body: dict[str, Any]) -> None:
        lon, lat = body["location"]["coordinates"]
        with self.lock:
            self.open.append((category.family, lon, lat))


@dataclass
class Tally:
    """Outcomes of a series of reports: latencies and (kind → outcome) counts."""

    seconds: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, kind: str, outcome: str) -> None:
        with self.lock:
            self.seconds.append(seconds)
            self.outcomes[f"{kind}->{outcome}"] += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def summary(self, wall_s: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"reports": len(self.seconds), **latency(self.seconds),
                               "outcomes": dict(sorted(self.outcomes.items()))}  # fmt: skip
        if wall_s is not None:
            routed = sum(v for k, v in self.outcomes.items() if k.endswith("->created:dispatched"))
            out.update(wall_s=round(wall_s, 2), reports_per_s=round(len(self.seconds) / wall_s, 1),
                       routed_per_s=round(routed / wall_s, 1))  # fmt: skip
        if self.errors:
            out["errors"], out["first_errors"] = len(self.errors), self.errors[:3]
        return out


def _outcome(status_code: int, payload: dict[str, Any]) -> str:
    if status_code == 201:
        return f"created:{payload.get('status')}"  # dispatched, or reported (in triage)
    return "merged"


def _check(tally: Tally, what: str) -> None:
    if tally.errors and len(tally.errors) > max(1, len(tally.seconds) // 100):
        raise SystemExit(f"{what}: {len(tally.errors)} reports failed, e.g. {tally.errors[:3]}")


# --- the ceiling ---------------------------------------------------------------------------------


def ceiling(
    n: int, grids: list[Grid], categories: list[Category], reporter_id: Any, threads: int
) -> dict[str, Any]:
    """Per report, the routing's point-in-grid SQL and a one-row INSERT, one transaction each, with psycopg."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from apps.events.routing import _LOCATE_SQL

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ceiling")
        cursor.execute("CREATE TABLE bench_ceiling (LIKE events_event INCLUDING ALL)")
        cursor.execute("INSERT INTO bench_ceiling SELECT * FROM events_event")
        cursor.execute("VACUUM (ANALYZE) bench_ceiling")
    params = {k: v for k, v in connection.get_connection_params().items()
              if k in {"dbname", "user", "password", "host", "port"} and v}  # fmt: skip
    rows = EventRows()
    # Column names come from the model, not from input.
    insert = f"INSERT INTO bench_ceiling ({', '.join(rows.columns)}) VALUES ({', '.join(['%s'] * len(rows.columns))})"  # noqa: S608
    grid_col, path_col = rows.columns.index("grid_id"), rows.columns.index("territory_path")
    margin = settings.GRIDAPI_EVENT_BOUNDARY_MARGIN_M

    def prepared(seed: int, count: int) -> list[tuple[float, float, float, list[Any]]]:
        reports = Reports(grids, categories, seed)
        out = []
        for _ in range(count):
            body, _kind, category = reports.next()
            lon, lat = body["location"]["coordinates"]
            grid = grids[0]  # replaced by the lookup's answer
            row = rows.row(rng=reports.rng, grid=grid, category=category, status="dispatched",
                           reported_at=timezone.now(), reporter_id=reporter_id, lon=lon, lat=lat)  # fmt: skip
            radius = margin / (111_000.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.2
            out.append((lon, lat, radius, rows.values(row)))
        return out

    def run(conn: "psycopg.Connection[Any]", work: list[tuple[float, float, float, list[Any]]],
            seconds: list[float]) -> None:  # fmt: skip
        for lon, lat, radius, values in work:
            started = time.perf_counter()
            [found] = conn.execute(_LOCATE_SQL, [lon, lat, "grid", radius]).fetchone() or [None]  # JSON rows
            values[grid_col], values[path_col] = found[0][0], found[0][2]
            conn.execute(insert, values)
            conn.commit()
            seconds.append(time.perf_counter() - started)

    result: dict[str, Any] = {}
    sequential: list[float] = []
    work = prepared(31, n)
    # Connections open before the CPU meter starts and close after it stops, so their backends are counted.
    conns = [psycopg.connect(**params) for _ in range(threads)]
    try:
        with CpuMeter(db_name=DB_NAME, this_process="client", interval=0.2) as cpu:
            run(conns[0], work, sequential)
        result["sequential"] = {"reports": n, "reports_per_s": round(n / cpu.wall, 1), **latency(sequential, quantiles=P99),
                                "cpu": cpu.per_item(n)}  # fmt: skip
        per_thread = [prepared(40 + t, n // threads) for t in range(threads)]
        latencies: list[list[float]] = [[] for _ in range(threads)]
        with (
            CpuMeter(db_name=DB_NAME, this_process="client", interval=0.2) as cpu,
            ThreadPoolExecutor(threads) as pool,
        ):
            for future in [pool.submit(run, conns[t], per_thread[t], latencies[t]) for t in range(threads)]:
                future.result()
    finally:
        for conn in conns:
            conn.close()
    merged = [s for part in latencies for s in part]
    result[f"threads_{threads}"] = {"reports": len(merged), "reports_per_s": round(len(merged) / cpu.wall, 1),
                                    **latency(merged, quantiles=P99), "cpu": cpu.per_item(len(merged))}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_ceiling")
    return result


# --- in-process ----------------------------------------------------------------------------------


def _issue_tokens(username: str, password: str, prefix: str, reports: int) -> list[str]:
    from apps.accounts.services import device_token_issue

    count = max(1, math.ceil(reports / TOKEN_BUDGET))
    return [device_token_issue(username=username, password=password, device_id=f"{prefix}-{i}").secret
            for i in range(count)]  # fmt: skip


def in_process(n: int, reports: Reports, worker: Any, tokens: list[str]) -> dict[str, Any]:
    """Server-side time without HTTP: the service alone, then the whole view through APIClient."""
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from apps.events import selectors, services

    result: dict[str, Any] = {}
    service = Tally()
    with CpuMeter(db_name=DB_NAME, this_process="django", interval=0.2) as cpu:
        for i in range(n + 10):  # the first 10 warm up (imports, caches) and are not counted
            body, kind, category = reports.next()
            lon, lat = body["location"]["coordinates"]
            report = services.ReportInput(category=selectors.active_category(body["category"]), title=body["title"],
                                          location=Point(lon, lat, srid=4326), description=body["description"])  # fmt: skip
            started = time.perf_counter()
            outcome = services.event_report(report=report, reporter=worker)
            seconds = time.perf_counter() - started
            label = f"created:{outcome.event.status}" if outcome.created else "merged"
            if i >= 10:
                service.add(seconds, kind, label)
            if outcome.created:
                reports.created(category, body)
    result["service_event_report"] = {**service.summary(), "cpu": cpu.per_item(n + 10)}

    view, db_seconds, db_queries = Tally(), [], []
    clock = {"s": 0.0, "n": 0}

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock["s"] += time.perf_counter() - started
            clock["n"] += 1

    client = APIClient()
    with (
        CpuMeter(db_name=DB_NAME, this_process="django", interval=0.2) as cpu,
        connection.execute_wrapper(timed),
    ):
        for i in range(n + 5):  # the first 5 warm up and are not counted
            body, kind, category = reports.next()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[i // TOKEN_BUDGET]}")
            clock["s"], clock["n"] = 0.0, 0
            started = time.perf_counter()
            response = client.post(REPORT_URL, body, format="json")
            seconds = time.perf_counter() - started
            if response.status_code not in {200, 201}:
                view.fail(f"{response.status_code} {response.content[:200]!r}")
                continue
            if i >= 5:
                view.add(seconds, kind, _outcome(response.status_code, response.json()))
                db_seconds.append(clock["s"])
                db_queries.append(clock["n"])
            if response.status_code == 201:
                reports.created(category, body)
    _check(view, "in-process view")
    result["view_apiclient"] = {**view.summary(), "cpu": cpu.per_item(n + 5)}
    result["view_apiclient"]["db_median_ms"] = round(pct([s * 1000 for s in db_seconds], 0.5), 2)
    result["view_apiclient"]["db_p95_ms"] = round(pct([s * 1000 for s in db_seconds], 0.95), 2)
    result["view_apiclient"]["queries_median"] = pct([float(q) for q in db_queries], 0.5)

    # Queries of one created report and of one merged into it (CaptureQueriesContext counts, the wrapper times
    # each one to the microsecond).
    timings: list[tuple[float, str]] = []

    def each(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(((time.perf_counter() - started) * 1000, sql))

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[-1]}")
    queries: dict[str, Any] = {}
    for attempt in range(20):  # a new report lands near an open event of its family now and then
        body, kind, category = reports.next()
        if kind != "new":
            continue
        timings.clear()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(each):
            response = client.post(REPORT_URL, body, format="json")
        if response.status_code == 201 or attempt == 19:
            break
    for label, expected in (("created", 201), ("merged", 200)):
        if label == "merged":
            body = {**body, "title": body["title"] + " (again)"}  # the same place: a duplicate
            timings.clear()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(each):
                response = client.post(REPORT_URL, body, format="json")
        if response.status_code != expected:
            raise SystemExit(f"queries per report ({label}): expected {expected}, got {response.status_code} "
                             f"{response.content[:300]!r}")  # fmt: skip
        queries[label] = {
            "queries": len(captured.captured_queries),  # BEGIN and COMMIT included
            "db_ms": round(sum(ms for ms, _sql in timings), 2),
            "statements": [f"{ms:6.2f} ms  {' '.join(sql.split())[:110]}" for ms, sql in timings],
        }  # fmt: skip
    result["queries_per_report"] = queries
    return result


# --- CPU accounting ------------------------------------------------------------------------------


# --- HTTP ----------------------------------------------------------------------------------------


def http_phase(
    base: str, tokens: list[str], reports: Reports, n: int, threads: int, server_pid: int | None = None
) -> dict[str, Any]:
    import orjson

    tally = Tally()
    indices: Iterator[int] = iter(range(n))
    index_lock = threading.Lock()
    host, port = base.removeprefix("http://").split(":")

    def work() -> None:
        # The standard library's client: it stands in for phones on other machines, and httpx's own CPU per
        # request (about 1.4 ms, on the same two cores) would be counted against the server.
        http = HTTPConnection(host, int(port), timeout=60)
        try:
            while True:
                with index_lock:
                    i = next(indices, None)
                if i is None:
                    return
                body, kind, category = reports.next()
                headers = {"Authorization": f"Bearer {tokens[i // TOKEN_BUDGET]}",
                           "Content-Type": "application/json"}  # fmt: skip
                started = time.perf_counter()
                try:
                    http.request("POST", REPORT_URL, body=orjson.dumps(body), headers=headers)
                    response = http.getresponse()
                    answer = response.read()
                except (OSError, HTTPException) as exc:
                    tally.fail(f"{type(exc).__name__}: {exc}")
                    http.close()
                    continue
                seconds = time.perf_counter() - started
                if response.status not in {200, 201}:
                    tally.fail(f"{response.status} {answer[:200]!r}")
                    continue
                tally.add(seconds, kind, _outcome(response.status, orjson.loads(answer)))
                if response.status == 201:
                    reports.created(category, body)
        finally:
            http.close()

    with (
        CpuMeter(
            {"gunicorn": [server_pid]} if server_pid else None,
            db_name=DB_NAME,
            this_process="client",
            interval=0.2,
        ) as cpu,
        ThreadPoolExecutor(threads) as pool,
    ):
        for future in [pool.submit(work) for _ in range(threads)]:
            future.result()
    _check(tally, f"HTTP with {threads} client(s)")
    return {**tally.summary(cpu.wall), "cpu": cpu.per_item(len(tally.seconds))}


def _contamination(results: dict[str, Any], prefix: str = "") -> list[str]:
    """The phases during which other processes took a noticeable share of the cores."""
    found = []
    for key, value in results.items():
        if not isinstance(value, dict):
            continue
        other = value.get("cpu", {}).get("other_cores", 0.0)
        if other > 0.25:
            found.append(f"{prefix}{key}: other processes used {other} cores, so its figures are pessimistic")
        found += _contamination(value, f"{prefix}{key}.")
    return found


# --- report --------------------------------------------------------------------------------------


def _table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and not (prefix.endswith(".outcomes") or prefix.endswith(".statuses")):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list):
            itemised = prefix.endswith(".statements") or prefix == "warnings"
            shown = (
                f"[{len(value)} items]"
                if itemised or len(value) > 3
                else json.dumps(value, ensure_ascii=False)
            )
            rows.append((prefix, shown))
            if itemised:
                rows.extend(("", f"  {item}") for item in value)
        else:
            rows.append(
                (prefix, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
            )

    walk("", results)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grids", type=int, default=2000, help="rounded up to a multiple of 500")
    parser.add_argument("--events", type=int, default=100_000, help="events preloaded")
    parser.add_argument(
        "--reports", type=int, default=2000, help="reports per HTTP run (sequential, concurrent)"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="concurrent HTTP clients (and ceiling connections)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    if args.grids < 1 or args.events < 0 or args.reports < 10 or args.threads < 1 or args.workers < 1:
        parser.error("--grids ≥ 1, --events ≥ 0, --reports ≥ 10, --threads ≥ 1, --workers ≥ 1")
    begun = time.perf_counter()
    url, admin = _point_url()
    try:
        _recreate(admin)
    except Exception as exc:  # psycopg raises several kinds; all mean the same thing here
        raise SystemExit(f"cannot recreate {DB_NAME} (is `make services` running?): {exc}") from exc

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    import httpx
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.services import user_create

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cursor.execute("SELECT version(), postgis_lib_version()")
        pg_version, postgis_version = cursor.fetchone()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    districts = max(1, math.ceil(args.grids / GRIDS_PER_DISTRICT))
    results: dict[str, Any] = {
        "config": {**vars(args), "grids_actual": districts * GRIDS_PER_DISTRICT, "districts": districts,
                   "cpus": os.cpu_count(), "postgres": pg_version.split(" on ")[0], "postgis": postgis_version},
    }  # fmt: skip
    grids, setup = load_territory(districts)
    results["setup"] = {"migrate_s": round(migrate_s, 2), **setup}
    print("territory", results["setup"], flush=True)
    categories = _categories()

    password = uuid.uuid4().hex
    worker = user_create(username="bench-worker", role="grid_worker", password=password)
    results["preload"] = preload(args.events, grids, categories, worker.pk)
    print("preloaded", results["preload"], flush=True)

    results["ceiling"] = ceiling(args.reports, grids, categories, worker.pk, args.threads)
    print("ceiling", results["ceiling"], flush=True)

    reports = Reports(grids, categories, seed=51)
    n_inproc = max(50, args.reports // 4)
    tokens = _issue_tokens(worker.username, password, "inproc", n_inproc + 30)
    results["in_process"] = in_process(n_inproc, reports, worker, tokens)
    print(
        "in-process",
        {k: v for k, v in results["in_process"].items() if k != "queries_per_report"},
        flush=True,
    )

    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridapi.settings.local")
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "gridapi.wsgi:application", "-b",
                               f"127.0.0.1:{port}", "-w", str(args.workers), "--timeout", "120", "--log-level", "warning"],
                              cwd=ROOT, env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(server, base)
        response = httpx.post(f"{base}/api/v1/auth/token/", timeout=30,
                              json={"username": worker.username, "password": password, "device_id": "bench-http-0"})  # fmt: skip
        if response.status_code != 201:
            raise SystemExit(f"sign-in over HTTP failed: {response.status_code} {response.text[:300]}")
        warmup = http_phase(base, [response.json()["token"]], reports, 10 * args.workers, 1)
        results["http_warmup"] = {k: warmup[k] for k in ("reports", "median_ms", "max_ms")}
        tokens = _issue_tokens(worker.username, password, "http-seq", args.reports)
        results["http_sequential"] = http_phase(base, tokens, reports, args.reports, 1, server.pid)
        print("http sequential", results["http_sequential"], flush=True)
        tokens = _issue_tokens(worker.username, password, "http-par", args.reports)
        results[f"http_threads_{args.threads}"] = http_phase(
            base, tokens, reports, args.reports, args.threads, server.pid
        )
        print(f"http {args.threads} threads", results[f"http_threads_{args.threads}"], flush=True)
        results["web_worker_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)

    seq, par = results["http_sequential"], results[f"http_threads_{args.threads}"]
    c_seq, c_par = results["ceiling"]["sequential"], results["ceiling"][f"threads_{args.threads}"]
    results["ratios"] = {
        "concurrent_reports_per_s_vs_ceiling_sequential": round(par["reports_per_s"] / c_seq["reports_per_s"], 4),
        "concurrent_reports_per_s_vs_ceiling_concurrent": round(par["reports_per_s"] / c_par["reports_per_s"], 4),
        "sequential_reports_per_s_vs_ceiling_sequential": round(seq["reports_per_s"] / c_seq["reports_per_s"], 4),
        "sequential_p95_vs_ceiling_p95": round(seq["p95_ms"] / c_seq["p95_ms"], 2),
        "server_view_p95_vs_ceiling_p95": round(results["in_process"]["view_apiclient"]["p95_ms"] / c_seq["p95_ms"], 2),
    }  # fmt: skip
    results["target"] = {
        "p95_ms": TARGET_P95_MS,
        "http_sequential_p95_met": seq["p95_ms"] < TARGET_P95_MS,
        f"http_threads_{args.threads}_p95_met": par["p95_ms"]
        < TARGET_P95_MS,  # includes queueing for a worker
        "server_view_p95_met": results["in_process"]["view_apiclient"]["p95_ms"] < TARGET_P95_MS,
    }
    results["warnings"] = _contamination(results)
    results["total_s"] = round(time.perf_counter() - begun, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.json").write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    print(_table(results))


if __name__ == "__main__":
    main()
