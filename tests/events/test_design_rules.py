"""Rules of the events design at their edges: a point on the line between grids, dispatching by hand within
jurisdiction, signing while suspended, who may resolve on the spot, priority after a split."""

import datetime as dt
from typing import Any

import time_machine

from apps.events.models import Event, EventReport
from tests.events.conftest import XA, act, report, shifted

CST = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=CST)  # no holiday in the weeks around it


def props(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["properties"])


@time_machine.travel(MONDAY, tick=False)
def test_a_point_exactly_on_the_boundary_between_two_communities_goes_to_triage(
    routing: Any, api_client: Any, reporter: Any
) -> None:
    # 祥露村 grid 03 and 新垵村 grid 01 share the line lon = 118.020; 10 m east of it goes to triage
    # (tests/events: NEAR_BOUNDARY), so a point 0 m from it must too.
    near = report(api_client(reporter), "dispute_family", (118.0201, 24.4850))
    assert near["routing"]["triage"] is True
    on_line = report(api_client(reporter), "dispute_neighbour", (118.0200, 24.4950))
    event = Event.objects.get(pk=on_line["id"])
    assert on_line["routing"]["triage"] is True, (
        f"dispatched to {event.department.code} via grid {event.grid.code}; routing={on_line['routing']}"
    )


@time_machine.travel(MONDAY, tick=False)
def test_a_dispatcher_cannot_dispatch_to_a_department_whose_jurisdiction_excludes_the_event(
    routing: Any, api_client: Any, reporter: Any, dispatcher_of: Any
) -> None:
    # In 新垵村 (新阳街道), 10 m from 祥露村: triage.
    event_id = report(api_client(reporter), "dispute_family", (118.0201, 24.4850))["id"]
    dispatcher = api_client(dispatcher_of("HC-XY"))
    act(dispatcher, event_id, "accept")
    # 海虹社区两委 (嵩屿街道) has no say in 新垵村, and lies outside this dispatcher's territory too.
    body = act(dispatcher, event_id, "dispatch", department="HC-SY-HH-CW", expect=400)
    assert "department" in body["errors"]
    assert Event.objects.get(pk=event_id).department_id is None


def test_signing_while_suspended_does_not_add_the_pause_before_signing_to_the_handle_deadline(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    community = department_client("HC-XY-XA-CW")
    with time_machine.travel(MONDAY, tick=False):
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]  # 5 working days to handle
    with time_machine.travel(MONDAY + dt.timedelta(minutes=10), tick=False):  # Mon 09:10
        act(community, event_id, "suspend", note="联系不上当事人")
    thursday = MONDAY + dt.timedelta(days=3, minutes=10)  # Thu 09:10, still suspended
    with time_machine.travel(thursday, tick=False):
        signed = props(act(community, event_id, "sign"))
    assert dt.datetime.fromisoformat(signed["handle_by"]) == dt.datetime(2026, 11, 26, 9, 10, tzinfo=CST)
    with time_machine.travel(thursday + dt.timedelta(minutes=10), tick=False):  # resumed Thu 09:20
        resumed = props(act(community, event_id, "resume"))
    # The handling clock ran (if at all) only from Thu 09:10: at most 10 minutes are owed, not 3 days.
    handle_by = dt.datetime.fromisoformat(resumed["handle_by"])
    assert handle_by == dt.datetime(2026, 11, 26, 9, 20, tzinfo=CST), handle_by


SHA = "c" * 64


@time_machine.travel(MONDAY, tick=False)
def test_only_a_grid_worker_may_self_resolve(routing: Any, api_client: Any, dispatcher_of: Any) -> None:
    dispatcher = api_client(dispatcher_of("HC-XY"))
    response = dispatcher.post(
        "/api/v1/events/",
        {
            "category": "fire_passage_blocked",
            "title": "通道堵塞",
            "resolved_on_site": True,
            "photos": [SHA],
            "location": {"type": "Point", "coordinates": list(XA)},
        },
        format="json",
    )
    assert response.status_code in {400, 403}, (
        f"{response.status_code}: a dispatcher closed an event on the spot: {response.json().get('status')}"
    )


@time_machine.travel(MONDAY, tick=False)
def test_splitting_out_the_reports_that_raised_the_priority_lowers_it_again(
    routing: Any, api_client: Any, reporter: Any, dispatcher_of: Any
) -> None:
    client = api_client(reporter)
    ids = [report(client, "sanitation_garbage", shifted(XA, i * 5))["id"] for i in range(3)]
    event = Event.objects.get(pk=ids[0])
    assert set(ids) == {str(event.pk)} and event.report_count == 3 and event.priority == 1  # HIGH
    dispatcher = api_client(dispatcher_of("HC-XY"))
    for row in EventReport.objects.filter(event=event, is_original=False):
        response = dispatcher.post(
            f"/api/v1/events/{event.pk}/split/", {"report_id": str(row.pk)}, format="json"
        )
        assert response.status_code == 201, response.content
    event.refresh_from_db()
    assert event.report_count == 1
    assert event.priority == 0, f"one report left, priority still {event.priority}"


def test_events_follow_their_territory_when_it_moves(routing: Any, api_client: Any, reporter: Any) -> None:
    import json

    from apps.territory.models import TerritoryNode
    from apps.territory.services import territory_import

    event_id = report(api_client(reporter), "dispute_neighbour")["id"]
    assert Event.objects.get(pk=event_id).territory_path.startswith("350200/350205/HC-XY/")

    def feature(node: TerritoryNode, parent: str) -> dict[str, Any]:
        properties = {"code": node.code, "name": node.name, "level": node.level, "parent": parent}
        return {"type": "Feature", "properties": properties, "geometry": json.loads(node.boundary.geojson)}

    district = TerritoryNode.objects.get(code="350205")
    moved = territory_import(feature_collection={"type": "FeatureCollection", "features": [
        {**feature(district, "350200"), "properties": {"code": "T-D2", "name": "新区", "level": "district",
                                                        "parent": "350200"}},
        feature(TerritoryNode.objects.get(code="HC-XY"), "T-D2"),
    ]})  # fmt: skip
    assert moved.ok, moved.as_dict()
    event = Event.objects.get(pk=event_id)
    assert event.territory_path == TerritoryNode.objects.get(pk=event.grid_id).path
    assert event.territory_path.startswith("350200/T-D2/HC-XY/")


def test_a_report_split_back_out_keeps_when_it_was_reported_and_what_it_named(
    routing: Any, api_client: Any, reporter: Any, dispatcher_of: Any
) -> None:
    client = api_client(reporter)
    with time_machine.travel(MONDAY, tick=False):
        first = report(client, "dispute_neighbour")
    submitted = "0193b000-0000-7000-8000-0000000000bb"
    occurred = "2026-11-16T08:00:00+08:00"
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        attached = report(client, "dispute_family", shifted(XA, 20), id=submitted, title="夫妻争吵",
                          occurred_at=occurred)  # fmt: skip
    assert attached["id"] == first["id"]
    row = EventReport.objects.get(submitted_id=submitted)
    with time_machine.travel(MONDAY + dt.timedelta(days=2), tick=False):
        split = api_client(dispatcher_of("HC-XY")).post(
            f"/api/v1/events/{first['id']}/split/", {"report_id": str(row.pk)}, format="json"
        )
    assert split.status_code == 201, split.content
    event = Event.objects.get(pk=submitted)
    assert event.reported_at == MONDAY + dt.timedelta(hours=1)  # when it was reported, not when split out
    assert event.occurred_at == dt.datetime.fromisoformat(occurred)
    assert event.dispatched_at == MONDAY + dt.timedelta(days=2)  # routed afresh when split out
