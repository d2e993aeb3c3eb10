"""The indicators endpoint: who counts what, the exports (CSV, XLSX) and the charts (PNG, SVG)."""

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from apps.events.models import Event
from apps.stats.services import rollups_apply
from tests.stats.conftest import Story, at, spot

NOVEMBER = "/api/v1/stats/indicators/?period=month&start=2026-11-01"


@pytest.fixture
def counted(story: Story) -> list[Event]:
    """Three events of 新垵村 in November: one closed on time, one returned, one signed late and pending."""
    events = [story.report(at(2026, 11, 2, 9, 0), point=spot(i)) for i in range(3)]
    story.act(events[0], at(2026, 11, 2, 9, 30), "sign", "department")
    story.act(events[0], at(2026, 11, 2, 9, 40), "start", "department")
    story.act(events[0], at(2026, 11, 3, 9, 0), "report_handled", "department")
    story.act(events[0], at(2026, 11, 3, 10, 0), "verify", "worker", ok=True)
    story.act(events[1], at(2026, 11, 2, 10, 0), "return", "department")
    story.act(events[2], at(2026, 11, 2, 16, 0), "sign", "department")
    # The rollups as the periodic task leaves them (the cursor needs committed transactions: see the
    # transactional tests); here the events' facts are applied directly.
    rollups_apply(event_ids=[e.pk for e in events])
    return events


def total(body: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in body["rows"] if row["level"] == "total")


def test_admin_gets_every_department_and_the_total(api_client: Any, admin_user: Any, counted: Any) -> None:
    body = api_client(admin_user).get(NOVEMBER).json()
    assert body["periods"] == [{"label": "2026-11", "start": "2026-11-01", "end": "2026-11-30"}]
    # 3 dispatched; returns 1 of 3 → 33.33 %; signed 2 (one late) → 50 %; due 1, closed 1 → 100 %.
    assert total(body)["name"] == "合计"
    indicators = total(body)["indicators"]
    assert indicators["returned"] == {"numerator": 1, "denominator": 3, "value": 33.33}
    assert indicators["signed_on_time"] == {"numerator": 1, "denominator": 2, "value": 50.0}
    assert indicators["closed"] == {"numerator": 1, "denominator": 1, "value": 100.0}
    departments = [(row["key"], row["name"]) for row in body["rows"] if row["level"] == "department"]
    assert departments == [("HC-XY-XA-CW", "新垵村两委")]


def test_a_dispatcher_counts_their_territory_and_drills_down(
    api_client: Any, dispatcher_of: Any, counted: Any
) -> None:
    client = api_client(dispatcher_of("HC-XY"))
    body = client.get(NOVEMBER + "&dimension=node").json()
    assert body["node"] == "HC-XY"
    assert [(row["key"], row["indicators"]["filed"]["value"]) for row in body["rows"]] == [
        ("HC-XY", 3),
        ("HC-XY-XA", 3),
    ]
    elsewhere = api_client(dispatcher_of("HC-SY")).get(NOVEMBER + "&dimension=node").json()
    assert total(elsewhere)["indicators"]["filed"]["value"] == 0
    refused = client.get(NOVEMBER + "&dimension=node&node=HC-SY")
    assert refused.status_code == 400 and "node" in refused.json()["errors"]


def test_a_department_counts_itself_and_a_worker_nothing(
    api_client: Any, api_key_of: Any, routing: Any, counted: Any, reporter: Any
) -> None:
    _key, secret = api_key_of(routing["HC-XY-XA-CW"])
    own = api_client(secret).get(NOVEMBER).json()
    assert total(own)["indicators"]["filed"]["value"] == 3
    _key, other_secret = api_key_of(routing["HC-SF-XY"])
    assert total(api_client(other_secret).get(NOVEMBER).json())["indicators"]["filed"]["value"] == 0
    assert api_client(reporter).get(NOVEMBER).status_code == 403


def test_bad_parameters_are_problems_not_errors(api_client: Any, admin_user: Any) -> None:
    client = api_client(admin_user)
    response = client.get("/api/v1/stats/indicators/?period=fortnight&start=2026-13-01")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"period", "start"}
    assert client.get("/api/v1/stats/indicators/?start=2026-11-02&end=2026-11-01").status_code == 400
    assert (
        client.get("/api/v1/stats/indicators/?period=day&start=2020-01-01&end=2026-01-01").status_code == 400
    )
    assert client.get("/api/v1/stats/indicators/?format=csv&period=nope").status_code == 400


def test_csv_has_chinese_headers_and_one_line_per_row(api_client: Any, admin_user: Any, counted: Any) -> None:
    response = api_client(admin_user).get(NOVEMBER + "&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["周期", "层级", "代码", "名称", "等级"] and "按时签收率" in lines[0]
    assert [line[1] for line in lines[1:]] == ["合计", "部门"]


def test_xlsx_has_one_sheet_per_level(api_client: Any, admin_user: Any, counted: Any) -> None:
    response = api_client(admin_user).get(NOVEMBER + "&dimension=node&node=HC-XY&format=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["合计", "下级辖区"]
    header = [cell.value for cell in workbook["下级辖区"][1]]
    assert header[:4] == ["周期", "层级", "代码", "名称"] and "综合指标值" in header
    assert workbook["下级辖区"]["C2"].value == "HC-XY-XA"


@pytest.mark.parametrize("image_format", ["png", "svg"])
def test_charts_are_rendered_with_chinese_labels(
    api_client: Any, admin_user: Any, counted: Any, image_format: str
) -> None:
    url = "/api/v1/stats/indicators/?period=week&start=2026-11-01&end=2026-11-30&indicator=returned"
    response = api_client(admin_user).get(f"{url}&format={image_format}")
    assert response.status_code == 200
    assert len(response.content) > 5_000
    if image_format == "png":
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = (
            int.from_bytes(response.content[16:20], "big"),
            int.from_bytes(response.content[20:24], "big"),
        )
        assert (width, height) == (1320, 550)
    else:
        text = response.content.decode("utf-8")
        assert "<svg" in text and "退单率趋势" in text and "退单率排名" in text and "新垵村两委" in text
