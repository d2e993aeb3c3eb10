"""Indicators split by channel: an event counts under the channel it came in by (its source)."""

from typing import Any

import pytest
import time_machine
from django.test import Client

from apps.events.models import Event
from apps.stats.indicators import periods_between
from apps.stats.selectors import Query, StatsScope, indicator_counts, indicator_counts_from_scratch
from apps.stats.services import rollups_apply
from tests.channels.conftest import hotline, make_channel, open311  # noqa: F401 - fixtures
from tests.stats.conftest import Story, at, spot

pytestmark = pytest.mark.django_db
NOVEMBER = periods_between("month", at(2026, 11, 1).date(), at(2026, 11, 1).date())


@pytest.fixture
def by_channel(story: Story, hotline: Any, open311: Any, api_client: Any) -> list[Event]:  # noqa: F811
    """Two events a grid worker reported, one 12345 work order, one Open311 request — in November."""
    events = [story.report(at(2026, 11, 2, 9, 0), point=spot(i)) for i in range(2)]
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        order = {"order_no": "GD1", "category": "0301", "title": "楼上噪音", "content": "深夜噪音",
                 "lon": spot(2)[0], "lat": spot(2)[1]}  # fmt: skip
        response = api_client(hotline[1]).post("/api/v1/channels/hotline/orders/", {"orders": [order]},
                                               format="json")  # fmt: skip
        assert response.status_code == 200, response.content[:500]
        response = Client().post("/open311/v2/requests.json", {
            "api_key": open311[1], "service_code": "dispute_neighbour", "lat": spot(3)[1], "long": spot(3)[0],
            "description": "邻居吵架"})  # fmt: skip
        assert response.status_code in (200, 201), response.content[:500]
    everything = list(Event.objects.all())
    assert sorted(e.source for e in everything) == ["hotline", "open311", "worker", "worker"]
    story.act(events[0], at(2026, 11, 2, 11, 0), "sign", "department")
    rollups_apply(event_ids=[e.pk for e in everything])
    return everything


def test_each_channel_has_its_row(by_channel: Any, admin_user: Any) -> None:
    rows = indicator_counts(principal=admin_user, query=Query(dimension="channel", periods=NOVEMBER))
    reported = {row.key: row.counts["reported"] for row in rows}
    # 4 reports: 2 by the grid worker, 1 by the hotline, 1 by Open311; the total row (key None) sums them.
    assert reported == {None: 4, "worker": 2, "hotline": 1, "open311": 1}
    signed = {row.key: row.counts["signed_on_time"] for row in rows}
    assert signed["worker"] == 1 and signed["hotline"] == 0
    scratch = indicator_counts_from_scratch(scope=StatsScope(everything=True),
                                            query=Query(dimension="channel", periods=NOVEMBER))  # fmt: skip
    assert [(r.key, r.counts) for r in rows] == [(r.key, r.counts) for r in scratch]


def test_the_api_names_the_channels(by_channel: Any, admin_user: Any, api_client: Any) -> None:
    body = (
        api_client(admin_user)
        .get("/api/v1/stats/indicators/?period=month&start=2026-11-01&dimension=channel")
        .json()
    )
    names = {row["key"]: row["name"] for row in body["rows"] if row["level"] == "channel"}
    assert names == {"worker": "网格员", "hotline": "12345热线", "open311": names["open311"]}
    assert {row["key"]: row["indicators"]["valid_reports"]["denominator"] for row in body["rows"]
            if row["level"] == "channel"} == {"worker": 2, "hotline": 1, "open311": 1}  # fmt: skip
