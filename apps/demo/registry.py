"""A few demo buildings and people in 新垵村 and 海虹社区, collected through the real services.

Ids are fixed (UUIDv5), so a second load finds them and changes nothing.
"""

import datetime as dt
import uuid
from typing import Any

from django.contrib.gis.geos import Point

from apps.accounts.models import User
from apps.core.identity import check_character
from apps.registry.inputs import PersonDataSerializer
from apps.registry.models import RecordAlias
from apps.registry.services import ObservationMeta, building_collect, person_collect

NAMESPACE = uuid.UUID("6f1c2a5e-8d8b-4c55-9a43-3e1b6f0b9a10")
COLLECTED_AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)

# (worker, community name, lon, lat, house number, use, floors)
BUILDINGS = [
    ("worker_xa1", "新垵村", 118.0225 + 0.0007 * i, 24.4850 + 0.0004 * (i % 3), 500 + i, use, 3 + i % 5)
    for i, use in enumerate(["rental", "residential", "rental", "shop", "residential", "rental"])
] + [
    ("worker_hh1", "海虹社区", 118.0525 + 0.0008 * i, 24.4345, 10 + i, use, 6 + i)
    for i, use in enumerate(["residential", "residential", "office", "shop"])
]
SURNAMES, GIVEN = "林陈黄王李张吴刘蔡郑", "志强丽华建国秀英明辉淑芬文杰美玲"


def _id_number(i: int) -> str:
    first17 = f"350205{1940 + i * 2:04d}{1 + i % 12:02d}{1 + i % 27:02d}{100 + i:03d}"
    return first17 + check_character(first17)


def load() -> int:
    """Collect the demo records that are not there yet; returns how many were collected."""
    collected = 0
    for n, (username, community, lon, lat, number, use, floors) in enumerate(BUILDINGS):
        building_id = uuid.uuid5(NAMESPACE, f"building-{n}")
        if RecordAlias.objects.filter(alias=building_id).exists():
            continue
        worker = User.objects.get(username=username)
        meta = ObservationMeta(
            collector=worker, collected_at=COLLECTED_AT, device_id="demo", location=Point(lon, lat, srid=4326),
            accuracy_m=8.0, submitted_id=building_id,
        )  # fmt: skip
        data = {"address": f"{community}{number}号", "use": use, "floors": floors}
        building = building_collect(data=data, meta=meta, payload=data).record
        collected += 1
        for k in range(3):
            i = n * 3 + k
            person_id = uuid.uuid5(NAMESPACE, f"person-{i}")
            person: dict[str, Any] = {
                "name": SURNAMES[i % 10] + GIVEN[i % 7 * 2 : i % 7 * 2 + 2],
                "id_number": _id_number(i) if i % 4 else "",
                "phone": f"139{5920000 + i:08d}" if i % 3 else "",
                "household_type": "floating" if use == "rental" else "registered",
                "tags": ["elderly_alone"] if i % 11 == 0 else [],
                "residence": {"building_id": building.pk, "room": f"{k + 1}01", "relation": "tenant"},
            }
            meta = ObservationMeta(
                collector=worker, collected_at=COLLECTED_AT, device_id="demo", submitted_id=person_id
            )
            # Validated like any collection (ID checksum, phone format, birth date from the ID number).
            valid = PersonDataSerializer(
                data={**person, "residence": {**person["residence"], "building_id": str(building.pk)}}
            )
            valid.is_valid(raise_exception=True)
            person_collect(data=dict(valid.validated_data), meta=meta, payload={"name": person["name"]})
            collected += 1
    return collected
