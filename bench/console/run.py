"""Console map benchmark: the map page's data with 10,000 open events, aggregated on the server.

    .venv/bin/python -m bench.console.run [--grids 500] [--open 10000] [--closed 40000] [--repeat 40]

On its own database (``gridapi_bench_console``, recreated): the events benchmark's synthetic city (``grids / 500``
districts of 500 grids, a department per node and routing rules), ``--open`` open events (every open status, an
eighth overdue) in the first district and ``--closed`` closed ones across the city, preloaded by COPY and
VACUUM ANALYZEd. A dispatcher of the first district signs in (a session, as in the browser).

Then, through Django's test client (the whole request: middleware, session, the gate, the query, the JSON), each
request ``--repeat`` times: the grid boundaries (``/console/map/grids.json``, fetched once per page), and the cells of
open events (``/console/map/cells.json``) for the view the page opens on (the district, zoom 12), the district at
zooms 10–15, a street at zoom 17 (one feature per event), and the worst case the form allows — the whole district
at zoom 17, every event its own feature up to the cap. Median and p95 server time, bytes, queries. Targets: the
map page's data (boundaries + the first cells) ≤ 1 s p95 and ≤ 500 KB.

Results go to ``bench/results/console.json`` and are printed.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import latency  # noqa: E402
from bench.database import point_url, recreate  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
DB_NAME = "gridapi_bench_console"
TARGET_P95_MS, TARGET_BYTES = 1000.0, 500_000
OPEN = ["reported", "accepted", "dispatched", "signed", "in_progress", "handled"]


def preload(n_open: int, n_closed: int, grids: list[Any], district: list[Any], categories: list[Any],
            reporter_id: Any) -> dict[str, Any]:  # fmt: skip
    """Open events in ``district`` (an eighth overdue), closed ones anywhere, by COPY."""
    from django.db import connection
    from django.utils import timezone

    from bench.events.run import EventRows

    rng = random.Random(21)
    rows = EventRows()
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY events_event ({', '.join(rows.columns)}) FROM STDIN") as copy:
            for i in range(n_open + n_closed):
                status = rng.choice(OPEN) if i < n_open else "closed"
                grid, category = rng.choice(district if i < n_open else grids), rng.choice(categories)
                x0, y0, x1, y1 = grid.box
                row = rows.row(rng=rng, grid=grid, category=category, status=status, reporter_id=reporter_id,
                               reported_at=now - dt.timedelta(seconds=rng.uniform(0, 30 * 86400)),
                               lon=rng.uniform(x0, x1), lat=rng.uniform(y0, y1))  # fmt: skip
                if status != "reported" and status in OPEN and rng.random() < 0.125:
                    row.update(overdue=True, overdue_since=now)
                copy.write_row(rows.values(row))
        cursor.execute("VACUUM (ANALYZE) events_event")
    return {"open": n_open, "closed": n_closed, "preload_s": round(time.perf_counter() - started, 2)}


def measure(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: the plan, the session
    seconds, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        size = len(response.content)
    with CaptureQueriesContext(connection) as queries:
        body = json.loads(client.get(url).content)
    return {"url": url, **latency(seconds), "bytes": size, "features": len(body.get("features", [])),
            "events": sum(f["properties"].get("n", 0) for f in body.get("features", [])), "queries": len(queries)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grids", type=int, default=500, help="rounded up to a multiple of 500")
    parser.add_argument("--open", type=int, default=10_000, help="open events in the first district")
    parser.add_argument("--closed", type=int, default=40_000, help="closed events across the city")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    _url, admin = point_url(DB_NAME)
    try:
        recreate(admin, DB_NAME)
    except Exception as exc:  # psycopg raises several kinds; all mean the same thing here
        raise SystemExit(f"cannot recreate {DB_NAME} (is `make services` running?): {exc}") from exc

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from apps.accounts.services import user_create
    from apps.territory.models import TerritoryNode
    from bench.events.run import GRIDS_PER_DISTRICT, _categories, load_territory

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)
    grids, setup = load_territory(max(1, math.ceil(args.grids / GRIDS_PER_DISTRICT)))
    district = [g for g in grids if g.path.startswith("BC/BC-D0/")]
    worker = user_create(username="bench-worker", role="grid_worker", password=uuid.uuid4().hex)
    results: dict[str, Any] = {
        "config": {**vars(args), "grids": len(grids), "cpus": os.cpu_count()},
        "setup": setup,
    }
    results["preload"] = preload(args.open, args.closed, grids, district, _categories(), worker.pk)
    print("preloaded", results["preload"], flush=True)

    dispatcher = user_create(username="bench-dispatcher", role="dispatcher", password=uuid.uuid4().hex,
                             territory=TerritoryNode.objects.get(code="BC-D0"))  # fmt: skip
    client = Client(SERVER_NAME="localhost")
    client.force_login(dispatcher)
    west, south, east, north = 118.0, 24.4, 118.2, 24.43  # the first district (50 × 10 grids)
    whole = f"{west},{south},{east},{north}"
    street = "118.100,24.412,118.107,24.418"  # about 700 m × 650 m: a zoom-17 screen
    views = {
        "grids": "/console/map/grids.json",
        "first_view_zoom_12": f"/console/map/cells.json?zoom=12&bbox={whole}",
        **{
            f"district_zoom_{z}": f"/console/map/cells.json?zoom={z}&bbox={whole}"
            for z in (10, 11, 13, 14, 15)
        },
        "street_zoom_17": f"/console/map/cells.json?zoom=17&bbox={street}",
        "worst_district_zoom_17": f"/console/map/cells.json?zoom=17&bbox={whole}",
        "no_bbox_zoom_12": "/console/map/cells.json?zoom=12",
    }
    results["requests"] = {}
    for name, url in views.items():
        results["requests"][name] = measure(client, url, args.repeat)
        print(name, {k: v for k, v in results["requests"][name].items() if k != "url"}, flush=True)
    grids_r, first = results["requests"]["grids"], results["requests"]["first_view_zoom_12"]
    page_p95 = grids_r["p95_ms"] + first["p95_ms"]
    page_bytes = grids_r["bytes"] + first["bytes"]
    results["map_page_data"] = {
        "p95_ms": round(page_p95, 2), "bytes": page_bytes, "events_shown": first["events"],
        "p95_met": page_p95 <= TARGET_P95_MS, "bytes_met": page_bytes <= TARGET_BYTES,
        "worst_request_p95_met": all(r["p95_ms"] <= TARGET_P95_MS for r in results["requests"].values()),
        "worst_request_bytes_met": all(r["bytes"] <= TARGET_BYTES for r in results["requests"].values()),
    }  # fmt: skip
    print("map page data", results["map_page_data"], flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "console.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    if first["events"] != args.open:
        raise SystemExit(f"the first view shows {first['events']} events, not the {args.open} open ones")


if __name__ == "__main__":
    main()
