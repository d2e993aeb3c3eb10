"""Patrol benchmark: track ingestion over HTTP against a raw COPY ceiling, storage per fix, detail and GPX latency.

    .venv/bin/python -m bench.operations.run [--workers 10] [--hours 8] [--chunk 500] [--clients 4]
    .venv/bin/python -m bench.operations.run --full        # 1,000 workers × 8 h at 1 fix / 5 s: 5.76 M fixes

In one run, on its own database (``gridapi_bench_operations``, recreated): make N grid workers, each with one
patrol of ``--hours`` at one fix per ``--interval`` seconds (a walk inside their grid); measure the ceiling (a
COPY of exactly those fixes into a scratch table ``LIKE operations_patrolfix INCLUDING ALL``: same columns, same
primary-key index); serve gridapi with gunicorn and push every patrol in chunks of ``--chunk`` fixes over HTTP
(``POST /api/v1/patrols/`` with the first chunk, ``POST /api/v1/patrols/<id>/chunks/`` for the rest, the last
one ending the patrol, which derives its track in that request), ``--clients`` patrols at a time, with the
CPU each part used per chunk (gunicorn, PostgreSQL, this client); then
read the storage per fix and the p95 of a patrol's detail and of its GPX. Results go to
``bench/results/operations.json``.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import CpuMeter, peak_rss_mb, point_url, recreate, wait_healthy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_operations"
START = dt.datetime(2026, 11, 16, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def track(
    extent: tuple[float, float, float, float], n: int, interval: float, rng: random.Random
) -> list[dict[str, Any]]:
    """A walk at about 1.2 m/s that turns now and then and stays inside ``extent`` (bouncing off its edges)."""
    x0, y0, x1, y1 = extent
    lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
    heading = rng.uniform(0, 2 * math.pi)
    points = []
    for seq in range(n):
        if rng.random() < 0.05:
            heading += rng.uniform(-1.2, 1.2)
        step = 1.2 * interval
        lon += step * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
        lat += step * math.cos(heading) / 110_950
        if not x0 < lon < x1:
            heading, lon = -heading, min(max(lon, x0), x1)
        if not y0 < lat < y1:
            heading, lat = math.pi - heading, min(max(lat, y0), y1)
        points.append({
            "seq": seq, "t": (START + dt.timedelta(seconds=seq * interval)).isoformat(), "lon": round(lon, 7),
            "lat": round(lat, 7), "accuracy_m": round(rng.uniform(3, 15), 1), "speed_mps": 1.2, "provider": "gps",
            "mock": False,
        })  # fmt: skip
    return points


def ceiling(tracks: list[tuple[str, list[dict[str, Any]]]], repeat: int) -> float:
    """Fixes/s of a raw COPY of the same fixes into a scratch table with the same indexes (best of ``repeat``)."""
    from django.db import connection

    rows = [
        (patrol_id, p["seq"], dt.datetime.fromisoformat(p["t"]), p["lon"], p["lat"], p["accuracy_m"], p["speed_mps"], 1,
         False)
        for patrol_id, points in tracks for p in points
    ]  # fmt: skip
    best = 0.0
    with connection.cursor() as cursor:
        for _ in range(repeat):
            cursor.execute("DROP TABLE IF EXISTS bench_fix_ceiling; "
                           "CREATE TABLE bench_fix_ceiling (LIKE operations_patrolfix INCLUDING ALL)")  # fmt: skip
            started = time.perf_counter()
            with cursor.cursor.copy(
                "COPY bench_fix_ceiling (patrol_id, seq, t, lon, lat, accuracy_m, speed_mps, provider, mock) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("SELECT 1")
            best = max(best, len(rows) / (time.perf_counter() - started))
        cursor.execute("DROP TABLE bench_fix_ceiling")
    return best


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1] * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4, help="patrols pushed at once")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--reads", type=int, default=100, help="requests per latency sample")
    parser.add_argument("--full", action="store_true", help="1,000 workers (5.76 M fixes)")
    args = parser.parse_args()
    if args.full:
        args.workers = 1000
    url, admin = point_url(DB_NAME)
    recreate(admin, DB_NAME)

    import django

    django.setup()
    import httpx
    import orjson
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from apps.accounts.services import device_token_issue, user_create
    from apps.demo.territory import haicang_features
    from apps.operations.models import Patrol
    from apps.operations.services import patrol_derive_now
    from apps.territory.models import TerritoryNode
    from apps.territory.selectors import today
    from apps.territory.services import grid_assignment_create, territory_import

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)
    territory_import(feature_collection=haicang_features())
    grids = list(TerritoryNode.objects.filter(level="grid").order_by("code"))
    n_fixes = int(args.hours * 3600 / args.interval)
    rng = random.Random(17)
    password = uuid.uuid4().hex
    patrols: list[dict[str, Any]] = []
    # The workers sign in once, here: hashing their passwords with the production hasher (twice each) would take
    # a quarter of an hour of setup for 1,000 workers and measure nothing.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(args.workers):
            grid = grids[i % len(grids)]
            worker = user_create(username=f"bench-worker-{i}", role="grid_worker", password=password)
            grid_assignment_create(worker=worker, grid=grid, valid_from=today())
            token = device_token_issue(
                username=worker.username, password=password, device_id=f"bench-{i}"
            ).secret
            patrols.append({"id": str(uuid.uuid4()), "token": token, "grid": grid.code,
                            "points": track(grid.boundary.extent, n_fixes, args.interval, rng)})  # fmt: skip
    total = args.workers * n_fixes
    results: dict[str, Any] = {"config": vars(args), "fixes": total, "fixes_per_patrol": n_fixes}
    # Best of three at every scale: one COPY of the 5.76 M fixes varied from 121,000 to 214,000 fixes/s between runs.
    results["ceiling_fixes_per_s"] = round(ceiling([(p["id"], p["points"]) for p in patrols], 3))
    print("ceiling", results["ceiling_fixes_per_s"], flush=True)

    # Request bodies made before the clock starts: the client stands in for devices, it must not be the bottleneck.
    for patrol in patrols:
        points, bodies = patrol.pop("points"), []
        for index in range(0, len(points), args.chunk):
            body: dict[str, Any] = {"points": points[index : index + args.chunk]}
            if index == 0:
                body |= {"id": patrol["id"], "started_at": points[0]["t"], "grid_codes": [patrol["grid"]]}
            if index + args.chunk >= len(points):
                body["ended_at"] = points[-1]["t"]
            bodies.append(orjson.dumps(body))
        patrol["bodies"] = bodies

    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridapi.settings.local",
               GRIDAPI_THROTTLE_DEVICE="1000000/min")  # fmt: skip
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "gridapi.wsgi:application", "-b",
                               f"127.0.0.1:{port}", "-w", str(args.web_workers), "--timeout", "600",
                               "--log-level", "warning"], cwd=ROOT, env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(server, base)
        latencies: list[float] = []

        def push(patrol: dict[str, Any]) -> int:
            # The standard library's client: it stands in for 1,000 phones, and httpx's own CPU per request (a
            # third of a chunk's server time, on the same two cores) would be measured as the server's.
            headers = {"Authorization": f"Bearer {patrol['token']}", "Content-Type": "application/json"}
            http = HTTPConnection("127.0.0.1", port, timeout=600)
            try:
                for index, body in enumerate(patrol["bodies"]):
                    path = "/api/v1/patrols/" if index == 0 else f"/api/v1/patrols/{patrol['id']}/chunks/"
                    began = time.perf_counter()
                    http.request("POST", path, body=body, headers=headers)
                    response = http.getresponse()
                    answer = response.read()
                    latencies.append(time.perf_counter() - began)
                    if response.status not in (200, 201):
                        raise SystemExit(f"{path}: {response.status} {answer[:300]!r}")
            finally:
                http.close()
            return len(patrol["bodies"])

        started = time.perf_counter()
        with (
            CpuMeter({"gunicorn": [server.pid]}, db_name=DB_NAME, this_process="client") as cpu,
            ThreadPoolExecutor(args.clients) as pool,
        ):
            requests = sum(pool.map(push, patrols))
        seconds = time.perf_counter() - started
        results["ingestion"] = {
            "requests": requests, "seconds": round(seconds, 2), "fixes_per_s": round(total / seconds),
            "chunk_p50_ms": round(statistics.median(latencies) * 1000, 1), "chunk_p95_ms": p95(latencies),
        }  # fmt: skip
        results["ingestion"]["ratio_to_ceiling"] = round(
            results["ingestion"]["fixes_per_s"] / results["ceiling_fixes_per_s"], 4
        )
        # Where the two cores went: gunicorn, PostgreSQL and this client (which stands in for the devices).
        results["ingestion"]["cpu"] = cpu.per_item(requests, "chunk")
        print("ingestion", results["ingestion"], flush=True)

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE operations_patrolfix")
            cursor.execute("SELECT count(*), pg_relation_size('operations_patrolfix'), "
                           "pg_indexes_size('operations_patrolfix'), pg_total_relation_size('operations_patrolfix') "
                           "FROM operations_patrolfix")  # fmt: skip
            count, heap, indexes, whole = cursor.fetchone()
        assert count == total, (count, total)
        results["storage"] = {"bytes_per_fix": round(whole / count, 1), "heap_bytes_per_fix": round(heap / count, 1),
                              "index_bytes_per_fix": round(indexes / count, 1)}  # fmt: skip
        print("storage", results["storage"], flush=True)

        sample = patrols[0]
        derived = Patrol.objects.defer("track").get(pk=sample["id"])
        assert derived.derived_version == derived.version, "the last chunk derives the finished patrol"
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            patrol_derive_now(patrol_id=derived.pk)
            timings.append(time.perf_counter() - began)
        results["derive_ms"] = round(min(timings) * 1000, 1)
        results["sample_patrol"] = {"fixes": derived.fix_count, "distance_m": round(derived.distance_m),
                                    "flags": derived.flags, "effective_s": derived.effective_s}  # fmt: skip

        headers = {"Authorization": f"Bearer {sample['token']}"}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as http:
            reads: dict[str, Any] = {}
            for name, path, params in (
                ("detail", f"/api/v1/patrols/{sample['id']}/", {}),
                ("gpx", f"/api/v1/patrols/{sample['id']}/track/", {"format": "gpx"}),
                ("geojson_track", f"/api/v1/patrols/{sample['id']}/track/", {}),
                (
                    "gpx_raw_fixes",
                    f"/api/v1/patrols/{sample['id']}/track/",
                    {"format": "gpx", "source": "raw"},
                ),
            ):
                samples = []
                for _ in range(args.reads):
                    began = time.perf_counter()
                    response = http.get(path, params=params)
                    samples.append(time.perf_counter() - began)
                    assert response.status_code == 200, response.text[:200]
                reads[name] = {"p95_ms": p95(samples), "bytes": len(response.content)}
        results["reads"] = reads
        print("reads", reads, flush=True)
        results["web_worker_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "operations.json").write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
