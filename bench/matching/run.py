"""Labelled matching benchmark: collect a synthetic district through the real services, score the result.

    .venv/bin/python -m bench.matching.run [--buildings 20000] [--people 50000] [--seed 7]

Uses its own database (``gridapi_bench``) on the same server as ``DATABASE_URL``, recreated each run.
Reports, per record type, precision and recall of auto-merge and of auto-merge + review, the records with
a valid ID number (recall must be 1.0, and no record may hold two different valid ID numbers), and
collections per second. Results go to ``bench/results/matching.json``.
"""

import argparse
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")


def _bench_database() -> None:
    import environ

    env = environ.Env()
    for env_file in (ROOT / ".env", ROOT / ".var" / "env"):
        if env_file.exists():
            env.read_env(str(env_file), overwrite=False)
    url = env("DATABASE_URL")
    base, _, _name = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/gridapi_bench"
    os.environ["GRIDAPI_BENCH_ADMIN_URL"] = f"{base}/postgres"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _bench_database()

    import django
    import environ

    admin_db = environ.Env.db_url_config(os.environ["GRIDAPI_BENCH_ADMIN_URL"])
    from urllib.parse import unquote

    import psycopg

    with psycopg.connect(
        dbname="postgres", user=admin_db["USER"], host=unquote(admin_db["HOST"]), port=admin_db["PORT"] or None,
        password=admin_db["PASSWORD"] or None, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute("DROP DATABASE IF EXISTS gridapi_bench")
        conn.execute("CREATE DATABASE gridapi_bench")
        # Durability is not what this measures; commit latency would dominate the run time.
        conn.execute("ALTER DATABASE gridapi_bench SET synchronous_commit = off")
    django.setup()
    from django.contrib.gis.geos import Point
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.exceptions import ValidationError

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    call_command("migrate", verbosity=0)

    from apps.accounts.services import user_create
    from apps.demo.territory import haicang_features
    from apps.registry.inputs import BuildingCollectSerializer, PersonCollectSerializer
    from apps.registry.models import Person, RecordAlias
    from apps.registry.services import ObservationMeta, building_collect, person_collect
    from apps.territory.models import TerritoryNode
    from apps.territory.services import territory_import
    from bench.matching.generate import district, observations

    territory_import(feature_collection=haicang_features())
    collector = user_create(username="bench", role="admin", password=uuid.uuid4().hex)
    nodes = {n.code: n for n in TerritoryNode.objects.all()}
    grids = [
        (nodes[n.parent.code].name, n.parent.code, nodes[n.parent.parent.code].name, n.boundary.extent)  # type: ignore[union-attr]
        for n in TerritoryNode.objects.filter(level="grid").select_related("parent__parent").order_by("code")
    ]
    buildings, people = district(grids, args.buildings, args.people, args.seed)
    building_obs, person_obs = observations(buildings, people, args.seed)
    print(f"ground truth: {len(buildings)} buildings, {len(people)} people; "
          f"observations: {len(building_obs)} + {len(person_obs)}", flush=True)  # fmt: skip

    results: dict[str, Any] = {"config": vars(args)}
    truth_of: dict[uuid.UUID, int] = {}  # canonical record (at creation) → true entity
    home_record: dict[int, uuid.UUID] = {}

    def run(kind: str, items: list[Any]) -> dict[str, Any]:
        seen: set[int] = set()
        ids_seen: set[tuple[int, str]] = set()  # (entity, valid ID number) already collected
        counts: dict[str, int] = defaultdict(int)
        started = time.perf_counter()
        for index, obs in enumerate(items):
            should_merge = obs.truth in seen
            id_key = (obs.truth, str(obs.data.get("id_number", "")))
            id_known = obs.has_valid_id and id_key in ids_seen
            body = {**obs.data, "location": {"type": "Point", "coordinates": [obs.lon, obs.lat]}}
            if kind == "person" and obs.data and home_record.get(people[obs.truth].home):
                body["residence"] = {
                    "building_id": str(home_record[people[obs.truth].home]),
                    "relation": "tenant",
                }
            serializer = (BuildingCollectSerializer if kind == "building" else PersonCollectSerializer)(
                data=body
            )
            if not serializer.is_valid():
                counts["rejected"] += 1
                continue
            values = dict(serializer.validated_data)
            meta = ObservationMeta(collector=collector, location=Point(obs.lon, obs.lat, srid=4326))
            try:
                outcome = (building_collect if kind == "building" else person_collect)(
                    data=values, meta=meta, payload=body
                )
            except ValidationError:
                counts["rejected"] += 1
                continue
            seen.add(obs.truth)
            record_id = outcome.record.pk
            if outcome.created:
                truth_of[record_id] = obs.truth
                if kind == "building":
                    home_record.setdefault(obs.truth, record_id)
            counts["observations"] += 1
            counts["should_merge"] += should_merge
            counts["should_merge_with_id"] += id_known
            if obs.has_valid_id:
                ids_seen.add(id_key)
            if not outcome.created:
                correct = truth_of[record_id] == obs.truth
                counts["auto_merged"] += 1
                counts["auto_correct"] += correct
                counts["auto_correct_with_id"] += correct and id_known
            elif outcome.review is not None:
                counts["reviewed"] += 1
                correct = truth_of.get(outcome.review.candidate_id) == obs.truth
                counts["review_correct"] += correct and should_merge
            elif should_merge:
                counts["missed"] += 1
            if index and index % 10000 == 0:
                print(
                    f"  {kind}: {index} observations, {index / (time.perf_counter() - started):.0f}/s",
                    flush=True,
                )
        seconds = time.perf_counter() - started
        merged, correct = counts["auto_merged"], counts["auto_correct"]
        should = max(counts["should_merge"], 1)
        return {
            **counts,
            "seconds": round(seconds, 1),
            "collects_per_second": round(counts["observations"] / seconds, 1),
            "auto_precision": round(correct / merged, 4) if merged else None,
            "auto_recall": round(correct / should, 4),
            "auto_plus_review_recall": round((correct + counts["review_correct"]) / should, 4),
            "review_precision": round(counts["review_correct"] / counts["reviewed"], 4)
            if counts["reviewed"]
            else None,
        }

    results["building"] = run("building", building_obs)
    results["person"] = run("person", person_obs)
    with_id = results["person"]["should_merge_with_id"]
    results["person"]["id_recall"] = (
        round(results["person"]["auto_correct_with_id"] / with_id, 4) if with_id else None
    )
    # No canonical person may hold two different valid ID numbers among the records merged into it.
    holders: dict[uuid.UUID, set[str]] = defaultdict(set)
    for pk, merged_into, index in Person.objects.exclude(id_number_index="").values_list(
        "pk", "merged_into_id", "id_number_index"
    ):
        holders[merged_into or pk].add(index)
    results["person"]["records_with_two_id_numbers"] = sum(len(v) > 1 for v in holders.values())
    results["aliases"] = RecordAlias.objects.count()

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "matching.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
