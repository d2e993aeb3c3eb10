"""List filters as department systems and workers use them."""

import datetime as dt
from typing import Any

import time_machine

from apps.events.models import Event
from tests.events.conftest import XA, act, report, shifted

CST = dt.timezone(dt.timedelta(hours=8))


def ids(client: Any, **query: Any) -> set[str]:
    response = client.get("/api/v1/events/", query)
    assert response.status_code == 200, response.content
    return {f["id"] for f in response.json()["features"]}


def test_department_filters_status_overdue_category_since(routing: Any, api_client: Any, reporter: Any,
                                                          department_client: Any) -> None:  # fmt: skip
    worker, community = api_client(reporter), department_client("HC-XY-XA-CW")
    with time_machine.travel(dt.datetime(2026, 11, 16, 9, 0, tzinfo=CST), tick=False):
        dispute = report(worker, "dispute_neighbour")["id"]
        garbage = report(worker, "sanitation_garbage", shifted(XA, north_m=400))["id"]
        act(community, garbage, "sign")
    Event.objects.filter(pk=dispute).update(overdue=True)
    assert ids(community) == {dispute, garbage}
    assert ids(community, status="dispatched") == {dispute}
    assert ids(community, status=["dispatched", "signed"]) == {dispute, garbage}
    assert ids(community, overdue=True) == {dispute}
    assert ids(community, category="sanitation_garbage") == {garbage}
    assert ids(community, family="dispute") == {dispute}
    assert ids(community, since="2030-01-01T00:00:00+08:00") == set()
    bad = community.get("/api/v1/events/", {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["errors"]


def test_worker_lists_events_to_verify(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    worker, community = api_client(reporter), department_client("HC-XY-XA-CW")
    handled = report(worker, "dispute_neighbour")["id"]
    other = report(worker, "sanitation_garbage", shifted(XA, north_m=400))["id"]
    for action, extra in (("sign", {}), ("start", {}), ("report_handled", {"note": "已处理"})):
        act(community, handled, action, **extra)
    assert ids(worker, to_verify=True) == {handled}
    assert ids(worker, mine=True) == {handled, other}
    detail = worker.get(f"/api/v1/events/{handled}/").json()["properties"]
    assert detail["allowed_actions"] == ["verify"]
