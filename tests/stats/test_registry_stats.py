"""Registry statistics: people by household type, gender, age band and (for the entitled) special groups;
buildings by use; arrivals and departures per period; a node with its children."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from apps.registry.models import Building, Person, Residence
from apps.registry.organisations.models import Organisation

URL = "/api/v1/stats/registry/?period=month&start=2026-10-01&end=2026-11-30"


@pytest.fixture
def registry(territory: dict[str, Any]) -> dict[str, Any]:
    """新垵村 grid 01: a rental building with three people; 海虹社区 grid 01: a shop with one."""
    xa, hh = territory["HC-XY-XA-01"], territory["HC-SY-HH-01"]
    rental = Building.objects.create(address="新垵村1号", address_norm="新垵村1号", grid=xa, use="rental")
    shop = Building.objects.create(address="海虹路2号", address_norm="海虹路2号", grid=hh, use="shop")

    def person(name: str, grid: Any, **fields: Any) -> Person:
        return Person.objects.create(name=name, name_key=name, grid=grid, **fields)

    old = person("王老", xa, gender="male", birth_date=dt.date(1940, 5, 1), household_type="registered",
                 tags=["elderly_alone"])  # fmt: skip
    tenant = person("李租", xa, gender="female", birth_date=dt.date(1995, 1, 1), household_type="floating")
    child = person("张小", xa, gender="male", birth_date=dt.date(2015, 6, 1), household_type="floating",
                   tags=["left_behind_child"])  # fmt: skip
    person("陈店", hh, gender="female", household_type="registered")
    merged = person("重复", xa, gender="male", household_type="floating")
    Person.objects.filter(pk=merged.pk).update(merged_into=tenant)  # a tombstone is not a person
    Residence.objects.create(person=tenant, building=rental, relation="tenant", since=dt.date(2026, 10, 3),
                             until=dt.date(2026, 11, 20))  # fmt: skip
    Residence.objects.create(person=child, building=rental, relation="family", since=dt.date(2026, 11, 5))
    Residence.objects.create(person=old, building=rental, relation="owner", since=dt.date(2001, 1, 1))

    # Organisations: a small shop (九小场所) and a workshop (三合一, 九小场所) in 新垵村, a company in 海虹社区, a closed
    # shop and a merged duplicate (neither counts).
    def organisation(name: str, grid: Any, **fields: Any) -> Organisation:
        return Organisation.objects.create(name=name, name_norm=name, grid=grid, **fields)

    organisation("新垵小卖部", xa, kind="individual", tags=["nine_small"])
    workshop = organisation("新垵作坊", xa, kind="individual", tags=["nine_small", "three_in_one"])
    organisation("海虹科技有限公司", hh, kind="enterprise")
    organisation("已关门的店", xa, kind="individual", tags=["nine_small"], status="closed")
    duplicate = organisation("新垵作坊（重复）", xa, kind="individual")
    Organisation.objects.filter(pk=duplicate.pk).update(merged_into=workshop)
    return {"rental": rental, "shop": shop}


def row(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in body["rows"] if r["key"] == key)


@time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_district_and_its_subdistricts(api_client: Any, admin_user: Any, registry: Any) -> None:
    body = api_client(admin_user).get(URL + "&node=350205").json()
    assert [r["key"] for r in body["rows"]] == ["350205", "HC-SY", "HC-XY"]
    total = row(body, "350205")
    # 4 canonical people (the merged one is a tombstone): registered 2, floating 2; male 2, female 2.
    assert total["population"]["total"] == 4
    assert total["population"]["household_type"] == {"registered": 2, "floating": 2, "overseas": 0}
    assert total["population"]["gender"] == {"male": 2, "female": 2}
    # Ages on 1 Dec 2026: 86 (80+), 31 (18-34), 11 (0-17), unknown.
    assert total["population"]["age_band"] == {
        "0-17": 1,
        "18-34": 1,
        "35-59": 0,
        "60-79": 0,
        "80+": 1,
        "unknown": 1,
    }
    assert total["population"]["special_groups"]["elderly_alone"] == 1
    assert total["housing"]["total"] == 2 and total["housing"]["use"]["rental"] == 1
    # Arrivals: October the tenant, November the child; departures: November the tenant.
    assert total["movement"] == [{"period": "2026-10", "arrivals": 1, "departures": 0},
                                 {"period": "2026-11", "arrivals": 1, "departures": 1}]  # fmt: skip
    assert row(body, "HC-XY")["population"]["total"] == 3 and row(body, "HC-SY")["population"]["total"] == 1
    # 实有单位: 3 in place (the closed shop and the merged duplicate left out): individual 2, enterprise 1;
    # 九小场所 2 (the shop, the workshop), 三合一 1 (the workshop).
    organisations = total["organisations"]
    assert organisations["total"] == 3
    assert (organisations["kind"]["individual"], organisations["kind"]["enterprise"]) == (2, 1)
    assert organisations["tag"] == {"nine_small": 2, "three_in_one": 1, "hazmat": 0, "crowded": 0}
    assert (
        row(body, "HC-XY")["organisations"]["total"] == 2
        and row(body, "HC-SY")["organisations"]["total"] == 1
    )


def test_a_dispatcher_counts_their_territory_only(api_client: Any, dispatcher_of: Any, registry: Any) -> None:
    client = api_client(dispatcher_of("HC-SY"))
    body = client.get(URL).json()
    assert body["node"] == "HC-SY" and row(body, "HC-SY")["population"]["total"] == 1
    assert client.get(URL + "&node=HC-XY").status_code == 400


def test_a_department_without_a_tag_grant_sees_no_special_groups(
    api_client: Any, api_key_of: Any, routing: Any, registry: Any
) -> None:
    _key, secret = api_key_of(routing["HC-XY-XA-CW"])
    body = api_client(secret).get(URL).json()
    assert body["special_groups_shown"] is False
    assert all(r["population"]["special_groups"] is None for r in body["rows"])
    assert row(body, body["node"])["population"]["total"] == 3  # its jurisdiction: 新垵村


def test_exports_have_chinese_headers(api_client: Any, admin_user: Any, registry: Any) -> None:
    client = api_client(admin_user)
    lines = list(
        csv.reader(io.StringIO(client.get(URL + "&node=HC-XY&format=csv").content.decode("utf-8-sig")))
    )
    assert (
        lines[0][:4] == ["层级", "代码", "名称", "实有人口"]
        and "户别·流动" in lines[0]
        and "2026-11·迁出" in lines[0]
    )
    header = lines[0]
    assert lines[1][header.index("实有单位")] == "2" and lines[1][header.index("单位标签·九小场所")] == "2"
    workbook = load_workbook(io.BytesIO(client.get(URL + "&node=HC-XY&format=xlsx").content))
    assert workbook.sheetnames == ["合计", "下级辖区"]
    assert workbook["下级辖区"]["B2"].value == "HC-XY-XA"
