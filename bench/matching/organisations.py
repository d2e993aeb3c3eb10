"""Labelled matching benchmark of organisations (实有单位): collect a synthetic district's shops, workshops and
companies through the real services, score the result.

    .venv/bin/python -m bench.matching.organisations [--organisations 10000] [--seed 11]

Ground truth: organisations in buildings of the demo territory (about three to a building, on different
floors and rooms: neighbours in the same building), 60 % with a valid credit code, 3 % chain stores (one name,
their own codes, in other grids). Observations (2–3 per organisation, in random order): the name with or
without places (厦门市海沧区…, 厦门…), legal forms written differently (有限公司/有限责任公司/none), brackets
(（个体工商户）), full-width forms, spaces, 5 % one-character typos; the code missing from a third of the
observations, in lower case or with spaces, 2 % misprinted and sent as ``code_unverified``; GPS jitter of
5–50 m; the building given 70 % of the time, the room 60 %, the floor 30 %.

Uses its own database (``gridapi_bench_orgs``), recreated each run. Results go to
``bench/results/matching_organisations.json``.
"""

import argparse
import json
import math
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")

TRADES = ["五金店", "便利店", "餐饮店", "小吃店", "美发店", "网吧", "旅馆", "超市", "药店", "茶行", "汽修厂", "水果店",
          "服装店", "烟酒商行", "快餐店", "面馆", "洗衣店", "电动车行", "建材商行", "家具厂", "印刷厂", "诊所",
          "幼儿园", "培训中心", "足浴店", "棋牌室", "KTV", "酒店", "物流公司", "贸易公司", "科技公司", "装饰工程部",
          "手机店", "眼镜店", "花店", "宠物店", "母婴店", "粮油店", "早餐店", "烧烤店"]  # fmt: skip
BRAND_CHARS = "明华兴盛隆发达鑫源通利丰顺泰宏福安康永祥瑞金鸿嘉信德荣新佳美乐海阳光辉星月天恒远志诚和旺昌泓宸"
PLACES = ["厦门市海沧区", "厦门", "海沧区", "厦门市", "福建省厦门市海沧区"]


@dataclass
class TrueOrg:
    key: int
    brand: str
    trade: str
    form: str  # "company", "individual", ""
    code: str
    building: int
    room: str
    floor: str
    phone: str

    @property
    def name(self) -> str:
        return self.brand + self.trade


@dataclass
class OrgObs:
    truth: int
    data: dict[str, Any]
    lon: float
    lat: float
    building: int


def _code(rng: random.Random, individual: bool, used: set[str]) -> str:
    from apps.core.credit_code import CHARSET, credit_check_character, org_check_character

    while True:
        org8 = "MA" + "".join(rng.choice(CHARSET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        first17 = ("92" if individual else "91") + "350205" + org8 + org_check_character(org8)
        code = first17 + credit_check_character(first17)
        if code not in used:
            used.add(code)
            return code


def district(n_buildings: int, n_orgs: int, grid_of: list[str], seed: int) -> list[TrueOrg]:
    rng = random.Random(seed)
    used_codes: set[str] = set()
    used_names: set[str] = set()
    orgs: list[TrueOrg] = []
    slots: dict[int, int] = defaultdict(int)
    for key in range(n_orgs):
        chain = orgs and rng.random() < 0.03
        if chain:
            model = rng.choice(orgs)
            brand, trade = model.brand, model.trade
            building = rng.randrange(n_buildings)
            while grid_of[building] == grid_of[model.building]:
                building = rng.randrange(n_buildings)
        else:
            while True:
                brand = "".join(rng.choice(BRAND_CHARS) for _ in range(rng.choice([2, 2, 3])))
                trade = rng.choice(TRADES)
                if brand + trade not in used_names:
                    break
            building = rng.randrange(n_buildings)
        used_names.add(brand + trade)
        slots[building] += 1
        form = rng.choice(["company", "company", "individual", "individual", ""])
        orgs.append(
            TrueOrg(
                key=key, brand=brand, trade=trade, form=form,
                code=_code(rng, form == "individual", used_codes) if rng.random() < 0.6 else "",
                building=building, room=f"{slots[building]}0{rng.randint(1, 9)}", floor=str(slots[building]),
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.6 else "",
            )
        )  # fmt: skip
    return orgs


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def name_variant(org: TrueOrg, rng: random.Random) -> str:
    brand = org.brand
    if rng.random() < 0.05:  # a one-character typo in the brand
        i = rng.randrange(len(brand))
        brand = brand[:i] + rng.choice(BRAND_CHARS.replace(brand[i], "")) + brand[i + 1 :]
    name = brand + org.trade
    if org.form == "company":
        name += rng.choice(["有限公司", "有限责任公司", "", "有限公司"])
    elif org.form == "individual":
        name = rng.choice(["", "", "（个体工商户）", "个体工商户"]) + name if rng.random() < 0.3 else name
        name += rng.choice(["", "", "（个体工商户）", "(个体)"])
    if rng.random() < 0.3:
        name = rng.choice(PLACES) + name
    if rng.random() < 0.1:
        name = _fullwidth(name)
    if rng.random() < 0.05:
        name = name[:2] + " " + name[2:]
    return name


def jitter(lon: float, lat: float, rng: random.Random) -> tuple[float, float]:
    metres = rng.uniform(5, 20) if rng.random() < 0.7 else rng.uniform(20, 50)
    angle = rng.uniform(0, 2 * math.pi)
    return (
        lon + metres * math.cos(angle) / (111_320 * math.cos(math.radians(lat))),
        lat + metres * math.sin(angle) / 110_574,
    )


def observations(orgs: list[TrueOrg], locations: list[tuple[float, float]], seed: int) -> list[OrgObs]:
    rng = random.Random(seed + 1)
    out: list[OrgObs] = []
    for org in orgs:
        for _ in range(rng.choice([2, 2, 3, 3, 3])):
            data: dict[str, Any] = {"name": name_variant(org, rng)}
            if org.code and rng.random() < 0.67:
                code = org.code
                roll = rng.random()
                if roll < 0.02:
                    i = rng.randrange(2, 17)
                    code = code[:i] + ("0" if code[i] != "0" else "1") + code[i + 1 :]
                    data["code_unverified"] = True
                elif roll < 0.2:
                    code = code.lower() if roll < 0.1 else f"{code[:6]} {code[6:12]} {code[12:]}"
                data["credit_code"] = code
            if rng.random() < 0.6:
                data["room"] = org.room
            if rng.random() < 0.3:
                data["floor"] = org.floor
            if org.phone and rng.random() < 0.5:
                data["phone"] = org.phone
            lon, lat = jitter(*locations[org.building], rng)
            out.append(OrgObs(truth=org.key, data=data, lon=lon, lat=lat, building=org.building))
    rng.shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    from bench.matching.run import _bench_database

    _bench_database()
    os.environ["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/gridapi_bench_orgs"

    from urllib.parse import unquote

    import django
    import environ
    import psycopg

    admin_db = environ.Env.db_url_config(os.environ["GRIDAPI_BENCH_ADMIN_URL"])
    with psycopg.connect(
        dbname="postgres", user=admin_db["USER"], host=unquote(admin_db["HOST"]), port=admin_db["PORT"] or None,
        password=admin_db["PASSWORD"] or None, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute("DROP DATABASE IF EXISTS gridapi_bench_orgs")
        conn.execute("CREATE DATABASE gridapi_bench_orgs")
        conn.execute("ALTER DATABASE gridapi_bench_orgs SET synchronous_commit = off")
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
    from apps.registry.organisations.inputs import OrganisationDataSerializer
    from apps.registry.organisations.models import Organisation
    from apps.registry.organisations.services import organisation_collect
    from apps.registry.services import ObservationMeta, building_collect
    from apps.territory.models import TerritoryNode
    from apps.territory.services import territory_import
    from bench.matching.generate import district as building_district

    territory_import(feature_collection=haicang_features())
    collector = user_create(username="bench", role="admin", password=uuid.uuid4().hex)
    nodes = {n.code: n for n in TerritoryNode.objects.all()}
    grids = [
        (nodes[n.parent.code].name, n.parent.code, nodes[n.parent.parent.code].name, n.boundary.extent)  # type: ignore[union-attr]
        for n in TerritoryNode.objects.filter(level="grid").select_related("parent__parent").order_by("code")
    ]
    n_buildings = max(1, args.organisations // 3)
    buildings, _people = building_district(grids, n_buildings, 0, args.seed)
    building_ids: list[Any] = []
    started = time.perf_counter()
    for b in buildings:
        address = f"{b.community}{b.number}号" + (f"{b.block}栋" if b.block else "")
        meta = ObservationMeta(collector=collector, location=Point(b.lon, b.lat, srid=4326))
        try:
            building_ids.append(building_collect(data={"address": address}, meta=meta, payload={}).record.pk)
        except ValidationError:
            building_ids.append(None)
    print(f"{len(buildings)} buildings in {time.perf_counter() - started:.0f} s", flush=True)
    grid_of = [b.community for b in buildings]
    orgs = district(len(buildings), args.organisations, grid_of, args.seed)
    items = observations(orgs, [(b.lon, b.lat) for b in buildings], args.seed)
    print(f"ground truth: {len(orgs)} organisations; observations: {len(items)}", flush=True)

    truth_of: dict[uuid.UUID, int] = {}
    seen: set[int] = set()
    counts: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    for index, obs in enumerate(items):
        body = dict(obs.data)
        if building_ids[obs.building] and random.Random(index).random() < 0.7:
            body["building_id"] = str(building_ids[obs.building])
        serializer = OrganisationDataSerializer(data=body)
        if not serializer.is_valid():
            counts["rejected"] += 1
            continue
        meta = ObservationMeta(collector=collector, location=Point(obs.lon, obs.lat, srid=4326))
        try:
            outcome = organisation_collect(data=dict(serializer.validated_data), meta=meta, payload=body)
        except ValidationError:
            counts["rejected"] += 1
            continue
        should_merge = obs.truth in seen
        seen.add(obs.truth)
        counts["observations"] += 1
        counts["should_merge"] += should_merge
        if outcome.created:
            truth_of[outcome.record.pk] = obs.truth
            if outcome.review is not None:
                counts["reviewed"] += 1
                counts["review_correct"] += (
                    should_merge and truth_of.get(outcome.review.candidate_id) == obs.truth
                )
            elif should_merge:
                counts["missed"] += 1
        else:
            correct = truth_of[outcome.record.pk] == obs.truth
            counts["auto_merged"] += 1
            counts["auto_correct"] += correct
            counts["auto_wrong_chain"] += (not correct) and orgs[truth_of[outcome.record.pk]].name == orgs[
                obs.truth
            ].name
        if index and index % 5000 == 0:
            print(f"  {index} observations, {index / (time.perf_counter() - started):.0f}/s", flush=True)
    seconds = time.perf_counter() - started
    merged, correct, should = counts["auto_merged"], counts["auto_correct"], max(counts["should_merge"], 1)
    holders: dict[Any, set[str]] = defaultdict(set)
    for pk, merged_into, code in Organisation.objects.exclude(code_key="").values_list(
        "pk", "merged_into_id", "code_key"
    ):
        holders[merged_into or pk].add(code)
    results = {
        "config": vars(args),
        "organisation": {
            **counts,
            "seconds": round(seconds, 1),
            "collects_per_second": round(counts["observations"] / seconds, 1),
            "auto_precision": round(correct / merged, 4) if merged else None,
            "auto_recall": round(correct / should, 4),
            "auto_plus_review_recall": round((correct + counts["review_correct"]) / should, 4),
            "review_precision": round(counts["review_correct"] / counts["reviewed"], 4)
            if counts["reviewed"]
            else None,
            "records_with_two_codes": sum(len(v) > 1 for v in holders.values()),
        },
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "matching_organisations.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
