# ruff: noqa: S608 - SQL assembled from this module's constants and model names; values travel as parameters
"""Registry statistics (实有人口、实有房屋、实有单位, arrivals and departures) per territory node and its children.

Counts are of canonical records (merged ones are tombstones): people by the grid they are placed in,
buildings by theirs, organisations still in place (not closed or moved away) by theirs, arrivals and departures by the start and end days of residences in the period, placed
in the building's grid. Special groups (特殊人群) are counted only for callers entitled to see the tags:
administrators and dispatchers (who see them on people in their territory), and departments for the tags a
subscription grants them (the field ``person.tags``; the subscription's tag filter, if any, narrows it).
Dispatchers count their territory, departments their jurisdiction, administrators everything.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils import timezone

from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.registry.models import BuildingUse, Gender, HouseholdType, PersonTag
from apps.registry.organisations.models import OrganisationKind, OrganisationStatus, OrganisationTag
from apps.territory.models import TerritoryNode

from .indicators import Period

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-17", 0, 17), ("18-34", 18, 34), ("35-59", 35, 59), ("60-79", 60, 79), ("80+", 80, 200),
)  # fmt: skip
UNKNOWN = "unknown"


def registry_paths(principal: Principal | Any) -> list[str] | None:
    """The territory paths the caller may count ([""]: everything), or None when it may not."""
    caller: Any = principal  # a user or an API key's principal: each has its own attributes
    role = role_of(caller)
    if role == "admin":
        return [""]
    if role == "dispatcher" and getattr(principal, "territory_id", None):
        return [caller.territory.path]
    if role == "department_system":
        return [caller.department.jurisdiction.path]
    if role == "department_staff":
        return [
            m.department.jurisdiction.path
            for m in caller.memberships.select_related("department__jurisdiction")
        ]
    return None


def entitled_tags(principal: Principal | Any) -> list[str]:
    """The special-group tags the caller may see counted."""
    caller: Any = principal
    role = role_of(caller)
    if role in {"admin", "dispatcher"}:
        return list(PersonTag.values)
    if role == "department_system":
        departments = [caller.department_id]
    elif role == "department_staff":
        departments = [m.department_id for m in caller.memberships.all()]
    else:
        return []
    from apps.sharing.models import Subscription

    tags: set[str] = set()
    granted = Subscription.objects.filter(
        department_id__in=departments, is_active=True, fields__contains=["person.tags"]
    )
    for person_tags in granted.values_list("person_tags", flat=True):
        tags.update(person_tags or PersonTag.values)
    return sorted(tags)


def _child_sql(node: TerritoryNode) -> tuple[str, list[Any]]:
    return "coalesce(nullif(split_part(substr(g.path, %s), '/', 1), ''), %s)", [len(node.path) + 1, node.code]


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _age_band(birth_date: dt.date | None, today: dt.date) -> str:
    if birth_date is None:
        return UNKNOWN
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    return next((name for name, low, high in AGE_BANDS if low <= age <= high), UNKNOWN)


def registry_table(
    *, principal: Principal | Any, node: TerritoryNode, periods: list[Period]
) -> dict[str, Any]:
    """The node's total and one row per child: people, special groups, buildings, arrivals and departures."""
    paths = registry_paths(principal) or []
    if not any(node.path.startswith(path) for path in paths):
        paths = [path for path in paths if path.startswith(node.path)]  # a department deeper than the node
    else:
        paths = [node.path]
    tags = entitled_tags(principal)
    child, child_params = _child_sql(node)
    where = "(" + " OR ".join(["g.path LIKE %s"] * len(paths)) + ")" if paths else "FALSE"
    where_params = [path + "%" for path in paths]
    today = timezone.localdate()
    rows: dict[str, dict[str, Any]] = defaultdict(_empty_row)

    people = _rows(
        f"SELECT {child}, p.household_type, p.gender, p.birth_date, count(*) FROM registry_person p "
        f"JOIN territory_territorynode g ON g.id = p.grid_id WHERE p.merged_into_id IS NULL AND {where} "
        "GROUP BY 1, 2, 3, 4",
        [*child_params, *where_params],
    )
    for key, household, gender, birth_date, count in people:
        for target in (rows[key], rows[None]):  # type: ignore[index]
            population = target["population"]
            population["total"] += count
            population["household_type"][household or UNKNOWN] += count
            population["gender"][gender or UNKNOWN] += count
            population["age_band"][_age_band(birth_date, today)] += count
    if tags:
        grouped = _rows(
            f"SELECT {child}, t.tag, count(*) FROM registry_person p CROSS JOIN unnest(p.tags) AS t(tag) "
            f"JOIN territory_territorynode g ON g.id = p.grid_id WHERE p.merged_into_id IS NULL AND {where} "
            "AND t.tag = ANY(%s) GROUP BY 1, 2",
            [*child_params, *where_params, tags],
        )
        for key, tag, count in grouped:
            for target in (rows[key], rows[None]):  # type: ignore[index]
                target["population"]["special_groups"][tag] += count
    buildings = _rows(
        f"SELECT {child}, b.use, count(*) FROM registry_building b JOIN territory_territorynode g ON g.id = b.grid_id "
        f"WHERE b.merged_into_id IS NULL AND {where} GROUP BY 1, 2",
        [*child_params, *where_params],
    )
    for key, use, count in buildings:
        for target in (rows[key], rows[None]):  # type: ignore[index]
            target["housing"]["total"] += count
            target["housing"]["use"][use or UNKNOWN] += count
    _count_organisations(rows, child, [*child_params, *where_params], where)
    if periods:
        moves = _rows(
            f"SELECT {child}, p.label, count(*) FILTER (WHERE r.since BETWEEN p.s AND p.e), "
            "count(*) FILTER (WHERE r.until BETWEEN p.s AND p.e) FROM registry_residence r "
            "JOIN registry_building b ON b.id = r.building_id JOIN territory_territorynode g ON g.id = b.grid_id "
            "JOIN unnest(%s::text[], %s::date[], %s::date[]) AS p(label, s, e) "
            "ON r.since BETWEEN p.s AND p.e OR r.until BETWEEN p.s AND p.e "
            f"WHERE {where} GROUP BY 1, 2",
            [*child_params, [p.label for p in periods], [p.start for p in periods], [p.end for p in periods],
             *where_params],
        )  # fmt: skip
        for key, label, arrivals, departures in moves:
            for target in (rows[key], rows[None]):  # type: ignore[index]
                movement = target["movement"].setdefault(label, {"arrivals": 0, "departures": 0})
                movement["arrivals"] += arrivals
                movement["departures"] += departures
    rows[None]  # type: ignore[index]  # the total row, even of an empty node
    names = dict(TerritoryNode.objects.filter(code__in=[k for k in rows if k]).values_list("code", "name"))
    out = []
    for key in sorted(rows, key=lambda k: (k is not None, k or "")):
        row = rows[key]
        row["population"]["special_groups"] = (
            {tag: row["population"]["special_groups"].get(tag, 0) for tag in tags} if tags else None
        )
        row["movement"] = [{"period": p.label, **row["movement"].get(p.label, {"arrivals": 0, "departures": 0})}
                           for p in periods]  # fmt: skip
        out.append({"level": "total" if key is None else "node", "key": key or node.code,
                    "name": names.get(key, key) if key else node.name, **_plain(row)})  # fmt: skip
    return {"node": node.code, "periods": [{"label": p.label, "start": p.start, "end": p.end} for p in periods],
            "special_groups_shown": bool(tags), "rows": out}  # fmt: skip


def _count_organisations(rows: dict[Any, dict[str, Any]], child: str, params: list[Any], where: str) -> None:
    """实有单位: organisations in place (operating), by kind and by tag (an organisation counts under each tag)."""
    organisations = _rows(
        f"SELECT {child}, o.kind, o.tags, count(*) FROM registry_organisation o "
        f"JOIN territory_territorynode g ON g.id = o.grid_id WHERE o.merged_into_id IS NULL "
        f"AND o.status = '{OrganisationStatus.OPERATING}' AND {where} GROUP BY 1, 2, 3",
        params,
    )
    for key, kind, tags, count in organisations:
        for target in (rows[key], rows[None]):
            target["organisations"]["total"] += count
            target["organisations"]["kind"][kind or UNKNOWN] += count
            for tag in tags or []:
                target["organisations"]["tag"][tag] += count


def _empty_row() -> dict[str, Any]:
    return {
        "population": {
            "total": 0,
            "household_type": defaultdict(int, dict.fromkeys(HouseholdType.values, 0)),
            "gender": defaultdict(int, dict.fromkeys(Gender.values, 0)),
            "age_band": defaultdict(int, dict.fromkeys([name for name, _l, _h in AGE_BANDS], 0)),
            "special_groups": defaultdict(int),
        },
        "housing": {"total": 0, "use": defaultdict(int, dict.fromkeys(BuildingUse.values, 0))},
        "organisations": {
            "total": 0,
            "kind": defaultdict(int, dict.fromkeys([*OrganisationKind.values, UNKNOWN], 0)),
            "tag": defaultdict(int, dict.fromkeys(OrganisationTag.values, 0)),
        },
        "movement": {},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
