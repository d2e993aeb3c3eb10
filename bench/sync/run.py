"""Sync benchmark: push and pull throughput against a preloaded registry, with a raw-PostgreSQL ceiling.

    .venv/bin/python -m bench.sync.run [--buildings 200000] [--people 500000] [--organisations 20000] [--batches 3]

In one run, on its own database (``gridapi_bench_sync``, recreated): preload the registry by COPY (and the
organisations through their batch collection); measure the ceiling (COPY of the same building rows into a
scratch table with the same indexes); serve gridapi with gunicorn (the production server) and push
1,000-mutation batches over HTTP — 500 buildings, then 500 organisations, each half new and half the same as a
preloaded one seen again (organisations under another form of their name, with their credit code when they
have one); measure the push's write floor (a raw COPY of exactly the rows those
pushes wrote, into scratch tables with the same indexes: no push can be faster than writing its rows); count queries per batch for 100 and 1,000 mutations; pull a
snapshot and then the incremental changes over HTTP; read the web workers' peak RSS. Results go to
``bench/results/sync.json`` and are printed as a table.
"""

import argparse
import datetime as dt
import gc
import json
import logging
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
from bench.common import peak_rss_mb, point_url, recreate, wait_healthy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_sync"


def _building_rows(n: int, grids: list[Any], rng: random.Random) -> Any:
    from django.utils import timezone

    from apps.core.geo.cells import cell_of
    from apps.core.ids import uuid7

    now = timezone.now()
    for i in range(n):
        grid_id, name, (x0, y0, x1, y1) = grids[i % len(grids)]
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        number = str(1000 + i // len(grids))
        yield (uuid7(), now, now, 1, grid_id, f"SRID=4326;POINT({lon} {lat})", cell_of(lon, lat), "{}",
               f"{name}{number}号", "", f"{name}{number}号", number, "", "", "residential")  # fmt: skip


BUILDING_COLUMNS = ("id, created_at, updated_at, version, grid_id, location, cell, alternatives, address, "
                    "address_code, address_norm, house_number, block_number, name, use")  # fmt: skip


def preload(n_buildings: int, n_people: int, grids: list[Any]) -> dict[str, float]:
    from django.db import connection
    from django.utils import timezone

    from apps.core.crypto import blind_index, current_key_id, seal
    from apps.core.geo.cells import cell_of
    from apps.core.identity import check_character
    from apps.core.ids import uuid7

    rng = random.Random(11)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY registry_building ({BUILDING_COLUMNS}) FROM STDIN") as copy:
            for row in _building_rows(n_buildings, grids, rng):
                copy.write_row(row)
        timings["buildings_s"] = time.perf_counter() - started
        now, key_id = timezone.now(), current_key_id()
        started = time.perf_counter()
        columns = ("id, created_at, updated_at, version, grid_id, location, cell, alternatives, name, name_key, "
                   "gender, birth_date, id_number_sealed, id_number_index, phone_sealed, phone_index, passport_sealed, "
                   "passport_index, pii_key_id, household_type, tags")  # fmt: skip
        with cursor.cursor.copy(f"COPY registry_person ({columns}) FROM STDIN") as copy:
            for i in range(n_people):
                grid_id, _name, (x0, y0, x1, y1) = grids[i % len(grids)]
                lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
                # Unique per person: the birth date advances every 1,000 people, the sequence number within.
                born = dt.date(1950, 1, 1) + dt.timedelta(days=i // 1000)
                first17 = f"350205{born:%Y%m%d}{i % 1000:03d}"
                number = first17 + check_character(first17) if i % 10 < 7 else ""
                copy.write_row((
                    uuid7(), now, now, 1, grid_id, f"SRID=4326;POINT({lon} {lat})", cell_of(lon, lat), "{}",
                    f"居民{i}", f"jumin{i}", "male" if i % 2 else "female", born.isoformat(),
                    seal(number) if number else "", blind_index(number) if number else "", "", "", "", "", key_id,
                    "registered", "{}",
                ))  # fmt: skip
        timings["people_s"] = time.perf_counter() - started
        cursor.execute("INSERT INTO registry_recordalias (alias, record_type, canonical_id, created_at) "
                       "SELECT id, 'building', id, now() FROM registry_building UNION ALL "
                       "SELECT id, 'person', id, now() FROM registry_person")  # fmt: skip
        cursor.execute("ANALYZE")
    return timings


def ceiling(n: int, grids: list[Any]) -> float:
    """Records/s of a raw COPY of building rows into a scratch table with the same indexes (best of three:
    a single COPY of this size varies by half from run to run)."""
    from django.db import connection

    rows = list(_building_rows(n, grids, random.Random(12)))
    best = 0.0
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(
                "DROP TABLE IF EXISTS bench_ceiling; CREATE TABLE bench_ceiling (LIKE registry_building INCLUDING ALL)"
            )
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bench_ceiling ({BUILDING_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("SELECT 1")  # the COPY is complete when the next statement runs
            best = max(best, n / (time.perf_counter() - started))
        cursor.execute("DROP TABLE bench_ceiling")
    return best


# Every table a push writes rows into, and the column telling when a row was written.
WRITTEN_BY_PUSH = {
    "registry_building": "created_at",  # new buildings and the tombstones of merged ones
    "registry_organisation": "created_at",  # the same for organisations
    "registry_recordalias": "created_at",
    "registry_observation": "created_at",
    "registry_mergeevent": "created_at",
    "registry_reviewitem": "created_at",
    "journal_journalentry": "at",
    "sync_appliedmutation": "created_at",
}


def write_floor(since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """The time a raw COPY takes to write the very rows the timed pushes wrote, into scratch tables with the
    same indexes (best of three), and the rows per table.

    However fast the rest of a push, it writes these rows: this bounds its records/s from above. The bound is
    generous: it leaves out the reads (grids, candidates, ids given out) and the updates of the buildings that
    absorbed a merge.
    """
    from django.db import connection

    rows, dumps = {}, {}
    with connection.cursor() as cursor:
        for table, column in WRITTEN_BY_PUSH.items():
            # Table and column names are the constants above; the times are bound.
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} BETWEEN %s AND %s", [since, until])  # noqa: S608
            rows[table] = cursor.fetchone()[0]
            query = f"COPY (SELECT * FROM {table} WHERE {column} BETWEEN %s AND %s) TO STDOUT (FORMAT binary)"  # noqa: S608
            with cursor.cursor.copy(query, [since, until]) as copy:
                dumps[table] = b"".join(bytes(block) for block in copy)
        best = float("inf")
        for _ in range(3):
            for table in WRITTEN_BY_PUSH:
                cursor.execute(f"DROP TABLE IF EXISTS bench_{table}; CREATE TABLE bench_{table} (LIKE {table} "
                               "INCLUDING ALL)")  # fmt: skip
            started = time.perf_counter()
            for table in WRITTEN_BY_PUSH:
                with cursor.cursor.copy(f"COPY bench_{table} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(dumps[table])
            cursor.execute("SELECT 1")
            best = min(best, time.perf_counter() - started)
        for table in WRITTEN_BY_PUSH:
            cursor.execute(f"DROP TABLE bench_{table}")
    return {"rows": rows, "seconds": round(best, 4)}


def batch(
    n: int,
    existing: list[tuple[str, float, float]],
    shops: list[tuple[str, str, float, float]],
    rng: random.Random,
    grids: list[Any],
) -> list[dict[str, Any]]:
    """``n`` create mutations, as a device sends its outbox after a morning's walk: ``n / 2`` buildings, then
    ``n / 2`` organisations; of each, half new and half the same as a preloaded one seen again nearby."""
    from apps.core.ids import uuid7

    def create(kind: str, lon: float, lat: float, data: dict[str, Any]) -> dict[str, Any]:
        return {"mutation_id": str(uuid7()), "type": kind, "op": "create", "id": str(uuid7()),
                "location": {"type": "Point", "coordinates": [lon, lat]}, "data": data}  # fmt: skip

    def somewhere() -> tuple[str, float, float]:
        _grid, name, (x0, y0, x1, y1) = rng.choice(grids)
        return name, rng.uniform(x0, x1), rng.uniform(y0, y1)

    mutations = []
    for i in range(n // 2):
        if i % 2:
            address, lon, lat = rng.choice(existing)
            lon, lat = lon + rng.uniform(-0.00008, 0.00008), lat + rng.uniform(-0.00008, 0.00008)
        else:
            name, lon, lat = somewhere()
            address = f"{name}{rng.randrange(100000, 999999)}号"
        mutations.append(create("building", lon, lat, {"address": address}))
    for i in range(n - n // 2):
        if i % 2:
            name, code, lon, lat = rng.choice(shops)
            data = {"name": f"厦门市海沧区{name}有限公司", **({"credit_code": code} if code else {})}
            lon, lat = lon + rng.uniform(-0.00005, 0.00005), lat + rng.uniform(-0.00005, 0.00005)
        else:
            place, lon, lat = somewhere()
            data = {"name": f"{place}{rng.choice(SHOP_KINDS)}{rng.randrange(100000, 999999)}号", "staff": 3}
        mutations.append(create("organisation", lon, lat, data))
    return mutations


SHOP_KINDS = ("便利店", "餐饮店", "五金店", "理发店", "汽修店", "宾馆", "药店", "棋牌室")


def preload_organisations(
    n: int, worker: Any, grids: list[Any]
) -> tuple[float, list[tuple[str, str, float, float]]]:
    """``n`` organisations collected through their batch collection, a third with a credit code: (seconds,
    [(name, code, lon, lat)])."""
    from django.contrib.gis.geos import Point
    from django.db import transaction

    from apps.core.credit_code import credit_check_character, org_check_character
    from apps.registry.organisations.batch import organisations_collect_batch
    from apps.registry.services import ObservationMeta, Submission

    rng = random.Random(14)
    shops = []
    for i in range(n):
        _grid, place, (x0, y0, x1, y1) = grids[i % len(grids)]
        code = ""
        if i % 3 == 0:
            org8 = f"B{i:07d}"
            first17 = "91350205" + org8 + org_check_character(org8)
            code = first17 + credit_check_character(first17)
        shops.append(
            (f"{place}{SHOP_KINDS[i % len(SHOP_KINDS)]}{i}号", code, rng.uniform(x0, x1), rng.uniform(y0, y1))
        )
    started = time.perf_counter()
    for first in range(0, n, 1000):
        submissions = [
            Submission(
                data={"name": name, "credit_code": code},
                payload={"name": name},
                meta=ObservationMeta(collector=worker, location=Point(lon, lat, srid=4326)),
            )
            for name, code, lon, lat in shops[first : first + 1000]
        ]
        with transaction.atomic():
            organisations_collect_batch(submissions=submissions, collector=worker)
    return time.perf_counter() - started, shops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    url, admin = point_url(DB_NAME)
    recreate(admin, DB_NAME)

    import django

    django.setup()
    import httpx
    import orjson  # the client parses as fast as it can: stdlib json took a quarter of each page's time
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from apps.accounts.services import device_token_issue, user_create
    from apps.demo.territory import haicang_features
    from apps.journal.selectors import journal_horizon
    from apps.registry.models import Building
    from apps.territory.models import TerritoryNode
    from apps.territory.selectors import today
    from apps.territory.services import grid_assignment_create, territory_import

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)
    territory_import(feature_collection=haicang_features())
    grids = [
        (g.pk, g.name, g.boundary.extent) for g in TerritoryNode.objects.filter(level="grid").order_by("code")
    ]
    results: dict[str, Any] = {"config": vars(args), "preload": preload(args.buildings, args.people, grids)}
    print("preloaded", results["preload"], flush=True)
    results["ceiling_records_per_s"] = round(ceiling(50_000, grids))

    password = uuid.uuid4().hex
    worker = user_create(username="bench-worker", role="grid_worker", password=password)
    for grid_id, _name, _extent in grids:
        grid_assignment_create(worker=worker, grid=TerritoryNode.objects.get(pk=grid_id), valid_from=today())
    token = device_token_issue(username=worker.username, password=password, device_id="bench").secret
    existing = [(b.address, b.location.x, b.location.y) for b in Building.objects.order_by("?")[:5000]]
    results["preload"]["organisations_s"], shops = preload_organisations(args.organisations, worker, grids)
    with connection.cursor() as db:
        db.execute("ANALYZE")
    rng = random.Random(13)
    shops = rng.sample(shops, min(5000, len(shops)))

    # Queries per batch, in-process, and the time spent in them (the database and its driver) within the
    # request's: the rest is the application's. The commit is not a statement here (a few ms).
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    queries, in_process = {}, {}
    for size in (100, 1000):
        counted: list[Any] = [0, 0.0, 0.0]  # statements, seconds in reads and locks, seconds in writes

        def count(
            execute: Any, sql: str, params: Any, many: bool, context: Any, counted: list[Any] = counted
        ) -> Any:
            counted[0] += 1
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                counted[1 if sql.lstrip().upper().startswith("SELECT") else 2] += (
                    time.perf_counter() - started
                )

        body = {"device_id": "q", "mutations": batch(size, existing, shops, rng, grids)}
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = client.post("/api/v1/sync/push/", body, content_type="application/json")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        queries[size] = counted[0]
        in_process[size] = {
            "request_s": round(elapsed, 3),
            "reads_and_locks_s": round(counted[1], 3),
            "writes_s": round(counted[2], 3),
        }
    results["queries_per_batch"] = queries
    results["push_in_process"] = in_process

    # One device pulls the whole registry in pages as fast as it can: past the per-token rate limit.
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridapi.settings.local",
               GRIDAPI_THROTTLE_DEVICE="1000000/min")  # fmt: skip
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "gridapi.wsgi:application", "-b",
                               f"127.0.0.1:{port}", "-w", "2", "--timeout", "600", "--log-level", "warning"],
                              cwd=ROOT, env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request, each with a 2 KB cursor
    try:
        wait_healthy(server, base)
        # The client stands in for a device and parses as fast as it can: Python's cycle collector, walking
        # every object the client holds each time a page's thousands of dictionaries are made, took a quarter
        # of each page's time on the client's side. Parsed pages hold no cycles; memory is freed as usual.
        gc.disable()
        http = httpx.Client(base_url=base, timeout=600, headers={"Authorization": f"Bearer {token}"})
        cursor: str | None = None
        started, records = time.perf_counter(), 0
        while True:  # snapshot of the whole scope (every grid)
            page = orjson.loads(
                http.get(
                    "/api/v1/sync/pull/", params={"limit": 1000, **({"cursor": cursor} if cursor else {})}
                ).content
            )
            records += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        results["pull_snapshot"] = {
            "records": records,
            "records_per_s": round(records / (time.perf_counter() - started)),
        }
        print("snapshot", results["pull_snapshot"], flush=True)

        pushed, seconds, statuses = 0, 0.0, {}
        pushes_began = dt.datetime.now(dt.UTC)
        for _ in range(args.batches):
            body = {"device_id": "bench", "mutations": batch(1000, existing, shops, rng, grids)}
            started = time.perf_counter()
            response = http.post("/api/v1/sync/push/", json=body)
            seconds += time.perf_counter() - started
            for result in response.json()["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            pushed += 1000
        results["push"] = {
            "mutations": pushed,
            "records_per_s": round(pushed / seconds, 1),
            "statuses": statuses,
        }
        results["push"]["ratio_to_ceiling"] = round(
            results["push"]["records_per_s"] / results["ceiling_records_per_s"], 4
        )
        floor = write_floor(pushes_began, dt.datetime.now(dt.UTC))
        floor["records_per_s"] = round(pushed / floor["seconds"], 1)
        floor["ratio_to_ceiling"] = round(floor["records_per_s"] / results["ceiling_records_per_s"], 4)
        # The push cannot be faster than writing its rows and making its reads: the reads of a batch of 1,000
        # (timed in-process above) plus the write floor, as if the application itself took no time at all.
        reads_per_mutation = in_process[1000]["reads_and_locks_s"] / 1000
        floor["with_reads_records_per_s"] = round(1 / (floor["seconds"] / pushed + reads_per_mutation), 1)
        floor["with_reads_ratio_to_ceiling"] = round(
            floor["with_reads_records_per_s"] / results["ceiling_records_per_s"], 4
        )
        results["push_write_floor"] = floor
        results["push"]["ratio_to_write_floor"] = round(
            results["push"]["records_per_s"] / floor["records_per_s"], 4
        )
        print("push write floor", floor, flush=True)
        print("push", results["push"], flush=True)

        # Changes are served once final: below the oldest transaction still running in the cluster. Right after
        # a bulk load an automatic ANALYZE can hold that back for a while; a device would simply get them on its
        # next pull. The timed pull starts once every pushed change is final, so that it reads all of them.
        waited = time.perf_counter()
        with connection.cursor() as db:
            db.execute("SELECT max(txid) FROM journal_journalentry")
            (last_txid,) = db.fetchone()
            while journal_horizon() <= last_txid and time.perf_counter() - waited < 600:
                time.sleep(0.5)
        results["changes_final_after_s"] = round(time.perf_counter() - waited, 1)
        started, records = time.perf_counter(), 0
        while True:
            page = orjson.loads(
                http.get("/api/v1/sync/pull/", params={"limit": 1000, "cursor": cursor}).content
            )
            records += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        results["pull_incremental"] = {
            "records": records,
            "records_per_s": round(records / (time.perf_counter() - started)),
        }
        results["web_worker_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        gc.enable()
        server.terminate()
        server.wait(30)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sync.json").write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
