"""A synthetic district with ground truth, and noisy observations of it, for the matching benchmark.

Ground truth: buildings placed in every grid of the demo territory (some as numbered blocks of one
compound), and people living in them, 3 in 4 with a valid ID number. Observations: each thing is
collected several times, in random order, with what real collection does to data — GPS jitter of
5–50 m, addresses written with or without the city/district/subdistrict prefix, Chinese numerals,
full-width digits, 號/幢/座 variants, spaces; names with pinyin homophones, traditional characters and
one-character typos; missing ID numbers, phones and birth dates; and a few swapped fields.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from apps.core.identity import check_character

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林欣佳雪琳晨阳志海波宏亮飞云峰"
# Homophones a worker may write for the same character (same pinyin, toneless).
HOMOPHONES = {"伟": "玮", "明": "铭", "华": "桦", "丽": "莉", "静": "婧", "军": "君", "芳": "方", "杰": "婕", "浩": "昊",
              "斌": "彬", "涛": "韬", "林": "琳", "峰": "锋", "宇": "雨", "佳": "嘉", "红": "虹", "敏": "闵", "磊": "垒"}  # fmt: skip
TRADITIONAL = {"伟": "偉", "陈": "陳", "刘": "劉", "杨": "楊", "黄": "黃", "赵": "趙", "张": "張", "华": "華", "军": "軍",
               "丽": "麗", "红": "紅", "国": "國", "龙": "龍", "林": "林", "叶": "葉", "郑": "鄭", "邓": "鄧"}  # fmt: skip
CN_DIGITS = "零一二三四五六七八九"
AREAS = ["350205", "350206", "350203", "350211", "350212", "350524", "350681", "360102", "430104", "512501"]


@dataclass
class TrueBuilding:
    key: int
    community: str
    subdistrict: str
    number: int
    block: int | None
    lon: float
    lat: float
    address_code: str
    use: str
    floors: int


@dataclass
class TruePerson:
    key: int
    name: str
    gender: str
    birth: dt.date
    id_number: str
    phone: str
    household_type: str
    home: int  # building key


@dataclass
class Obs:
    kind: str  # "building" | "person"
    truth: int
    data: dict[str, Any]
    lon: float
    lat: float
    has_valid_id: bool = False
    notes: list[str] = field(default_factory=list)


def _chinese_number(n: int, rng: random.Random) -> str:
    if rng.random() < 0.5:  # digit by digit: 五二九
        return "".join(CN_DIGITS[int(d)] for d in str(n))
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, rest, zero = "", n, False
    for value, unit in units:
        digit, rest = divmod(rest, value)
        if digit:
            out += ("" if (value == 10 and digit == 1 and not out) else CN_DIGITS[digit]) + unit
            zero = False
        elif out and rest:
            zero = True
        if zero and digit == 0 and rest and not out.endswith("零"):
            out += "零"
    return out + (CN_DIGITS[rest] if rest else "")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def address_variant(b: TrueBuilding, rng: random.Random) -> str:
    prefix = rng.choice(
        [
            "",
            "",
            "海沧区",
            f"厦门市海沧区{b.subdistrict}",
            f"福建省厦门市海沧区{b.subdistrict}",
            f"{b.subdistrict}",
        ]
    )
    number = str(b.number)
    roll = rng.random()
    if roll < 0.2:
        number = _chinese_number(b.number, rng)
    elif roll < 0.3:
        number = _fullwidth(number)
    hao = "號" if rng.random() < 0.1 else "号"
    block = ""
    if b.block is not None:
        block_number = str(b.block) if rng.random() < 0.7 else CN_DIGITS[b.block]
        block = block_number + rng.choice(["栋", "栋", "幢", "座"])
    space = " " if rng.random() < 0.1 else ""
    return f"{prefix}{b.community}{space}{number}{hao}{block}"


def jitter(lon: float, lat: float, rng: random.Random) -> tuple[float, float]:
    roll = rng.random()
    metres = rng.uniform(5, 20) if roll < 0.7 else rng.uniform(20, 35) if roll < 0.95 else rng.uniform(35, 50)
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.sin(angle) / 110_574
    dlon = metres * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def make_id_number(birth: dt.date, gender: str, rng: random.Random, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 999)
        if (seq % 2 == 1) != (gender == "male"):
            seq = (seq + 1) % 1000
        first17 = f"{rng.choice(AREAS)}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return number


def name_variant(name: str, rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.08:
        chars = [HOMOPHONES.get(c, c) for c in name]
        if chars != list(name):
            return "".join(chars), "homophone"
    elif roll < 0.13:
        chars = [TRADITIONAL.get(c, c) for c in name]
        if chars != list(name):
            return "".join(chars), "traditional"
    elif roll < 0.16:
        i = rng.randrange(1, len(name))
        return name[:i] + rng.choice(GIVEN.replace(name[i], "")) + name[i + 1 :], "typo"
    return name, ""


def district(
    grids: list[tuple[str, str, str, tuple[float, float, float, float]]],
    n_buildings: int,
    n_people: int,
    seed: int,
) -> tuple[list[TrueBuilding], list[TruePerson]]:
    """Ground truth. ``grids``: (community name, community code, subdistrict name, extent) per grid."""
    rng = random.Random(seed)
    buildings: list[TrueBuilding] = []
    next_number: dict[str, int] = {}
    per_grid = math.ceil(n_buildings / len(grids))
    for community, code, subdistrict, (x0, y0, x1, y1) in grids:
        # A jittered lattice: buildings ~40–70 m apart, compounds as rows of blocks ~25 m apart.
        cols = max(1, int(math.sqrt(per_grid * (x1 - x0) / (y1 - y0))))
        rows = math.ceil(per_grid / cols)
        placed = 0
        for r in range(rows):
            for c in range(cols):
                if placed >= per_grid or len(buildings) >= n_buildings:
                    break
                lon = x0 + (c + 0.5 + rng.uniform(-0.15, 0.15)) * (x1 - x0) / cols
                lat = y0 + (r + 0.5 + rng.uniform(-0.15, 0.15)) * (y1 - y0) / rows
                number = next_number.get(code, 1)
                next_number[code] = number + rng.choice([1, 1, 2])
                blocks = [None] if rng.random() > 0.12 else list(range(1, rng.randint(2, 5)))
                for b in blocks:
                    if placed >= per_grid:
                        break
                    offset = (b or 1) - 1
                    buildings.append(
                        TrueBuilding(
                            key=len(buildings),
                            community=community,
                            subdistrict=subdistrict,
                            number=number,
                            block=b,
                            lon=lon + offset * 25 / 101_000,
                            lat=lat,
                            address_code=(f"{code}-{number:04d}-{b or 0}" if rng.random() < 0.4 else ""),
                            use=rng.choice(
                                ["residential", "residential", "rental", "shop", "office", "factory"]
                            ),
                            floors=rng.randint(1, 12),
                        )
                    )
                    placed += 1
    people: list[TruePerson] = []
    used: set[str] = set()
    for key in range(n_people):
        gender = rng.choice(["male", "female"])
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
        people.append(
            TruePerson(
                key=key,
                name=name,
                gender=gender,
                birth=birth,
                id_number=make_id_number(birth, gender, rng, used) if rng.random() < 0.75 else "",
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else "",
                household_type=rng.choice(["registered", "registered", "floating"]),
                home=rng.randrange(len(buildings)),
            )
        )
    return buildings, people


def observations(
    buildings: list[TrueBuilding], people: list[TruePerson], seed: int
) -> tuple[list[Obs], list[Obs]]:
    """Noisy observations: buildings 1–4 times (mean 2.5), people 1–3 times (mean 2), each list shuffled."""
    rng = random.Random(seed + 1)
    building_obs: list[Obs] = []
    for b in buildings:
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
            lon, lat = jitter(b.lon, b.lat, rng)
            data: dict[str, Any] = {"address": address_variant(b, rng)}
            if b.address_code and rng.random() < 0.5:
                data["address_code"] = b.address_code
            if rng.random() < 0.7:
                data["use"] = b.use
            if rng.random() < 0.6:
                data["floors"] = b.floors if rng.random() < 0.9 else max(1, b.floors + rng.choice([-1, 1]))
            building_obs.append(Obs("building", b.key, data, lon, lat))
    person_obs: list[Obs] = []
    for p in people:
        home = buildings[p.home]
        for _ in range(rng.choice([1, 2, 2, 3])):
            name, note = name_variant(p.name, rng)
            data = {"name": name, "household_type": p.household_type}
            if rng.random() < 0.9:
                data["birth_date"] = p.birth.isoformat()
            if rng.random() < 0.95:
                data["gender"] = p.gender
            valid_id = bool(p.id_number) and rng.random() < 0.8
            if valid_id:
                data["id_number"] = p.id_number
            if p.phone and rng.random() < 0.6:
                data["phone"] = p.phone
            notes = [note] if note else []
            if rng.random() < 0.02 and data.get("phone") and data.get("id_number"):
                data["phone"], data["id_number"] = data["id_number"], data["phone"]  # swapped fields
                valid_id = False
                notes.append("swapped")
            lon, lat = jitter(home.lon, home.lat, rng)
            person_obs.append(Obs("person", p.key, data, lon, lat, has_valid_id=valid_id, notes=notes))
    rng.shuffle(building_obs)
    rng.shuffle(person_obs)
    return building_obs, person_obs
