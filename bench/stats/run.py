"""Statistics benchmark: indicators of a whole city from the rollups, and rollups keeping up with actions.

    .venv/bin/python -m bench.stats.run [--grids 2000] [--events 100000] [--actions 3000] [--repeat 30]
    .venv/bin/python -m bench.stats.run --events 1000000      # the city-scale run (1 M events, ~2 M entries)

On its own database (``gridapi_bench_stats``, recreated): the synthetic city of the events benchmark (1 city,
``grids / 500`` districts, 225 departments with routing rules), then ``--events`` events over the last 12 months
and their timelines (dispatch to the grid's department at the category's level; signed on time or late, handled,
verified — now and then sent back to rework —, rated; some returned, some marked overdue by the scan; about two
entries per event) preloaded by COPY, and one journal entry per event. Then:

* the rollups built from scratch (``stats_rollups_rebuild``: every fact from the raw history, then the sums);
* the monthly indicators of the whole city for 12 months (total, and per department) and of one department,
  through the selector the API uses, ``--repeat`` times each: median and p95 (targets 200 ms and 50 ms);
* ``--actions`` actions (timeline entries with their journal entries, on random events) appended in one go,
  then the rollups brought up to date by the periodic step: actions per second taken in (target ≥ 100/s);
* with ``--check``, the city's counts from the rollups compared with the from-scratch computation.

Results go to ``bench/results/stats.json`` and are printed.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.database import point_url, recreate  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_stats"
TARGET_CITY_P95_MS, TARGET_DEPARTMENT_P95_MS, TARGET_ACTIONS_PER_S = 200.0, 50.0, 100.0
CST = dt.timezone(dt.timedelta(hours=8))


def _latency(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)

    def pct(q: float) -> float:
        return round(ms[min(len(ms) - 1, max(0, math.ceil(q * len(ms)) - 1))], 2)

    return {"median_ms": pct(0.5), "p95_ms": pct(0.95), "max_ms": round(ms[-1], 2)}


CHUNK = 50_000


def _copy(events: list[list[Any]], entries: list[tuple[Any, ...]], journal: list[tuple[Any, ...]],
          columns: list[str]) -> None:  # fmt: skip
    """One chunk of events, their timelines and journal entries, by COPY."""
    from django.db import connection

    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY events_event ({', '.join(columns)}) FROM STDIN") as copy:
            for values in events:
                copy.write_row(values)
        with cursor.cursor.copy(
            "COPY events_timelineentry (event_id, action, from_status, to_status, at, data, note, photos, actor_label) "
            "FROM STDIN"
        ) as copy:
            for entry in entries:
                copy.write_row((*entry, "", "{}", "bench"))
        with cursor.cursor.copy(
            "COPY journal_journalentry (record_type, record_id, version, change, grid_id, fields) FROM STDIN"
        ) as copy:
            for line in journal:
                copy.write_row((*line, "{}"))


def preload(
    n: int, grids: list[Any], categories: list[Any], reporter_id: Any, codes: dict[Any, str]
) -> dict[str, Any]:
    """``n`` events with their timelines and journal entries, by COPY in chunks of ``CHUNK`` events (memory stays
    bounded at a million events)."""
    from django.db import connection
    from django.utils import timezone

    from apps.core.ids import uuid7
    from bench.events.run import EventRows

    rng = random.Random(7)
    rows = EventRows()
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    events: list[list[Any]] = []
    entries: list[tuple[Any, ...]] = []
    journal: list[tuple[Any, ...]] = []
    total_entries, copy_s = 0, 0.0
    started = time.perf_counter()
    for index in range(n):
        grid, category = rng.choice(grids), rng.choice(categories)
        x0, y0, x1, y1 = grid.box
        reported = now - dt.timedelta(seconds=rng.uniform(0, 365 * 86400))
        department = grid.departments[category.level]
        event_id = uuid7()
        dispatched = reported + dt.timedelta(minutes=rng.uniform(1, 30))
        sign_by = dispatched + category.sign_hours * hour
        timeline = [("dispatch", "accepted", "dispatched", dispatched, {"department": codes[department]})]
        status, handle_by, closed_at = "dispatched", None, None
        roll = rng.random()
        if roll < 0.05:  # returned unsigned, waits in triage
            timeline.append(
                ("return", "dispatched", "accepted", dispatched + hour, {"returned_by": codes[department]})
            )
            status, department = "accepted", None
        elif roll < 0.65:
            signed = dispatched + rng.uniform(0.1, 3) * hour
            handle_by = signed + 5 * 24 * hour
            timeline.append(("sign", "dispatched", "signed", signed, {"signed_late": signed > sign_by}))
            status = "signed"
            if rng.random() < 0.45:
                handled = signed + rng.uniform(2, 150) * hour
                timeline.append(
                    (
                        "report_handled",
                        "in_progress",
                        "handled",
                        handled,
                        {"handled_late": handled > handle_by},
                    )
                )
                status = "handled"
                if rng.random() < 0.7:
                    closed_at = handled + rng.uniform(1, 24) * hour
                    ok = rng.random() > 0.05
                    timeline.append(
                        ("verify", "handled", "closed" if ok else "in_progress", closed_at, {"ok": ok})
                    )
                    status = "closed" if ok else "in_progress"
            elif handle_by < now and rng.random() < 0.3:
                timeline.append(("remind", "signed", "signed", handle_by + dt.timedelta(minutes=1),
                                 {"deadline": "handle_by", "due": handle_by.isoformat()}))  # fmt: skip
        row = rows.row(rng=rng, grid=grid, category=category, status="dispatched", reported_at=reported,
                       reporter_id=reporter_id, lon=rng.uniform(x0, x1), lat=rng.uniform(y0, y1))  # fmt: skip
        row.update(id=event_id, status=status, department_id=department, dispatched_at=dispatched, sign_by=sign_by,
                   handle_by=handle_by, closed_at=closed_at)  # fmt: skip
        events.append(rows.values(row))
        for action, source, target, at, data in timeline:
            entries.append((event_id, action, source, target, at, json.dumps(data)))
        journal.append(("event", event_id, 1, "created", grid.id))
        if len(events) == CHUNK or index == n - 1:
            copied = time.perf_counter()
            _copy(events, entries, journal, rows.columns)
            copy_s += time.perf_counter() - copied
            total_entries += len(entries)
            events, entries, journal = [], [], []
            if n > CHUNK:
                print(f"  {index + 1:,} events", flush=True)
    generate_s = time.perf_counter() - started - copy_s
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {"events": n, "timeline_entries": total_entries, "generate_s": round(generate_s, 2),
            "copy_s": round(copy_s, 2)}  # fmt: skip


def time_queries(repeat: int, admin: Any, department: Any) -> dict[str, Any]:
    from django.utils import timezone

    from apps.stats.indicators import periods_between
    from apps.stats.selectors import Query, indicator_counts

    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    months = periods_between("month", first, today)
    system = type("System", (), {"is_authenticated": True, "is_superuser": False, "role": "department_system",
                                 "pk": None, "department_id": department.pk})()  # fmt: skip
    # As the API asks (``kind="month"``: the rollups per calendar period), and the same from the daily rollups.
    cases = {
        "city_total_12_months": (admin, Query(dimension="total", periods=months, kind="month")),
        "city_by_department_12_months": (admin, Query(dimension="department", periods=months, kind="month")),
        "one_department_12_months": (system, Query(dimension="total", periods=months, kind="month")),
        "city_by_district_12_months": (admin, Query(dimension="node", periods=months, node=_root(), kind="month")),
        "district_dispatcher_by_grid_12_months": (
            _dispatcher(), Query(dimension="node", periods=months, node=_district(), kind="month")),
        "city_by_category_12_months_daily": (admin, Query(dimension="category", periods=months)),
        "city_by_department_12_months_daily": (admin, Query(dimension="department", periods=months)),
        "one_department_12_months_daily": (system, Query(dimension="total", periods=months)),
    }  # fmt: skip
    out: dict[str, Any] = {"months": len(months)}
    for name, (principal, query) in cases.items():
        indicator_counts(principal=principal, query=query)  # warm
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            rows = indicator_counts(principal=principal, query=query)
            seconds.append(time.perf_counter() - started)
        out[name] = {**_latency(seconds), "rows": len(rows)}
    return out


def _root() -> Any:
    from apps.territory.models import TerritoryNode

    return TerritoryNode.objects.defer("boundary").get(parent__isnull=True)


def _district() -> Any:
    from apps.territory.models import TerritoryNode

    return TerritoryNode.objects.defer("boundary").filter(level="district").order_by("code").first()


def _dispatcher() -> Any:
    """A dispatcher of the first district (a drill-down of their territory to its grids' parents)."""
    from apps.accounts.services import user_create

    user = user_create(username="bench-dispatcher", role="dispatcher", password=uuid.uuid4().hex)
    user.territory = _district()
    user.save(update_fields=["territory"])
    return user


def keep_up(actions: int) -> dict[str, Any]:
    """Append ``actions`` manual reminders and ratings-like entries with their journal entries; time the catch-up."""
    from django.db import connection

    from apps.stats.services import stats_rollups_catch_up

    with connection.cursor() as cursor:
        cursor.execute(
            "WITH picked AS (SELECT id, grid_id FROM events_event WHERE status <> 'cancelled' ORDER BY random() LIMIT %s), "
            "timeline AS (INSERT INTO events_timelineentry (event_id, action, from_status, to_status, at, data, note, "
            "photos, actor_label) SELECT id, 'grant_extension', 'signed', 'signed', now(), '{}', '', '{}', 'bench' "
            "FROM picked RETURNING 1) "
            "INSERT INTO journal_journalentry (record_type, record_id, version, change, grid_id, fields) "
            "SELECT 'event', id, 2, 'updated', grid_id, '{status}' FROM picked",
            [actions],
        )
    started = time.perf_counter()
    result = stats_rollups_catch_up()
    seconds = time.perf_counter() - started
    return {"actions": actions, "events": result.events, "catch_up_s": round(seconds, 2),
            "actions_per_s": round(actions / seconds, 1)}  # fmt: skip


def check(admin: Any) -> dict[str, Any]:
    from django.utils import timezone

    from apps.stats.indicators import periods_between
    from apps.stats.selectors import Query, StatsScope, indicator_counts, indicator_counts_from_scratch

    today = timezone.localdate()
    query = Query(
        dimension="department", periods=periods_between("quarter", today - dt.timedelta(days=365), today)
    )
    started = time.perf_counter()
    scratch = indicator_counts_from_scratch(scope=StatsScope(everything=True), query=query)
    scratch_s = time.perf_counter() - started
    rollups = indicator_counts(principal=admin, query=query)
    per_period = indicator_counts(principal=admin, query=replace(query, kind="quarter"))

    def nonzero(rows: list[Any]) -> list[Any]:
        return [(r.period, r.key, r.counts) for r in rows if any(r.counts.values())]

    expected = nonzero(scratch)
    return {"equal": nonzero(rollups) == expected, "equal_per_period": nonzero(per_period) == expected,
            "rows": len(expected), "from_scratch_s": round(scratch_s, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grids", type=int, default=2000, help="rounded up to a multiple of 500")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=3000, help="actions appended at once for the catch-up")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of each query")
    parser.add_argument(
        "--check", action="store_true", help="compare the rollups with the from-scratch counts"
    )
    args = parser.parse_args()
    begun = time.perf_counter()
    _url, admin_db = point_url(DB_NAME)
    recreate(admin_db, DB_NAME)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.services import user_create
    from apps.departments.models import Department
    from apps.stats.services import stats_rollups_rebuild
    from bench.events.run import GRIDS_PER_DISTRICT, _categories, load_territory

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0]
    call_command("migrate", verbosity=0)
    districts = max(1, math.ceil(args.grids / GRIDS_PER_DISTRICT))
    results: dict[str, Any] = {"config": {**vars(args), "grids_actual": districts * GRIDS_PER_DISTRICT,
                                          "cpus": os.cpu_count(), "postgres": pg_version.split(" on ")[0]}}  # fmt: skip
    grids, setup = load_territory(districts)
    results["setup"] = setup
    codes = dict(Department.objects.values_list("pk", "code"))
    worker = user_create(username="bench-worker", role="grid_worker", password=uuid.uuid4().hex)
    admin = user_create(username="bench-admin", role="admin", password=uuid.uuid4().hex)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    results["preload"] = preload(args.events, grids, _categories(), worker.pk, codes)
    print("preloaded", results["preload"], flush=True)

    started = time.perf_counter()
    stats_rollups_rebuild()
    with connection.cursor() as cursor:
        rebuilt_s = time.perf_counter() - started
        tables = ("stats_eventfact", "stats_gridrollup", "stats_departmentrollup", "stats_gridperiodrollup",
                  "stats_departmentperiodrollup")  # fmt: skip
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in tables))  # noqa: S608
        sizes = dict(zip(tables, cursor.fetchone(), strict=True))
    results["rebuild"] = {"seconds": round(rebuilt_s, 2), "rows": sizes}
    print("rebuilt", results["rebuild"], flush=True)

    department = Department.objects.get(pk=grids[0].departments["community"])
    results["queries"] = time_queries(args.repeat, admin, department)
    print("queries", results["queries"], flush=True)
    results["keep_up"] = keep_up(args.actions)
    print("keep up", results["keep_up"], flush=True)
    if args.check:
        results["check"] = check(admin)
        print("check", results["check"], flush=True)
    q = results["queries"]
    results["targets"] = {
        "city_p95_met": max(q["city_total_12_months"]["p95_ms"], q["city_by_department_12_months"]["p95_ms"])
        <= TARGET_CITY_P95_MS,
        "department_p95_met": q["one_department_12_months"]["p95_ms"] <= TARGET_DEPARTMENT_P95_MS,
        "keeps_up": results["keep_up"]["actions_per_s"] >= TARGET_ACTIONS_PER_S,
    }
    results["total_s"] = round(time.perf_counter() - begun, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "stats.json").write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    print(json.dumps(results, indent=2, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
