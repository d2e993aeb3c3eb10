"""Events through the mobile protocol: reported by push (routed, or merged into an open duplicate), acted on
by an update carrying an action, pulled within the worker's scope with out_of_scope tombstones."""

import datetime as dt
from typing import Any

from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.events.models import Event
from apps.territory.services import grid_assignment_create, grid_assignment_end
from tests.events.conftest import HH, department_client, reporter, routing
from tests.sync.conftest import XA, mutation, new_id, pull_all, push, shifted

__all__ = ["department_client", "reporter", "routing"]


def event_mutation(point: Any = XA, **data: Any) -> dict[str, Any]:
    return mutation(
        "event", point=point, **{"category": "fire_rental", "title": "出租屋楼道堆放杂物", **data}
    )


def test_push_reports_events_routes_them_and_merges_duplicates(routing: Any, device: APIClient) -> None:
    building_id = new_id()
    results = push(
        device,
        mutation("building", record_id=building_id, address="新垵村529号", use="rental", floors=5),
        event_mutation(building_id=str(building_id), photos=["c" * 64]),
        event_mutation(point=shifted(XA, 15), category="fire_ebike_charging", title="电动车楼道充电"),
        event_mutation(category="no_such_category"),
        event_mutation(point=None),
    )
    assert [r["status"] for r in results] == ["applied", "applied", "merged", "rejected", "rejected"]
    event = Event.objects.get(pk=results[1]["id"])
    assert event.building_id == building_id and event.department.code == "HC-XF" and event.report_count == 2
    assert results[2]["merged_into"] == results[1]["id"] and results[2]["match"]["reasons"]
    assert "category" in results[3]["errors"] and "location" in results[4]["errors"]
    again = push(
        device, event_mutation(building_id=str(building_id)) | {"mutation_id": results[1]["mutation_id"]}
    )
    assert again[0]["status"] == "rejected"  # same mutation id, different body


def test_replayed_event_mutation_is_applied_once(routing: Any, device: APIClient) -> None:
    body = event_mutation()
    first = push(device, body)
    for _ in range(4):
        assert push(device, body) == first
    assert Event.objects.count() == 1 and Event.objects.get().report_count == 1


def test_a_worker_verifies_offline_through_an_update(routing: Any, device: APIClient, worker: User,
                                                      department_client: Any) -> None:  # fmt: skip
    event_id = push(device, event_mutation(category="dispute_neighbour"))[0]["id"]
    community = department_client("HC-XY-XA-CW")
    for action, extra in (("sign", {}), ("start", {}), ("report_handled", {"note": "已处理"})):
        version = community.get(f"/api/v1/events/{event_id}/").json()["properties"]["version"]
        response = community.post(f"/api/v1/events/{event_id}/actions/", {"action": action, **extra}, format="json",
                                  HTTP_IF_MATCH=f'"{version}"')  # fmt: skip
        assert response.status_code == 200, response.content
    too_early = push(
        device, mutation("event", "update", record_id=event_id, base=1, point=None, action="rate", rating=5)
    )
    assert too_early[0]["status"] == "rejected" and too_early[0]["errors"]["allowed"] == ["verify"]
    verified = push(device, mutation("event", "update", record_id=event_id, base=1, point=None, action="verify", ok=True,
                                     note="现场核实"))  # fmt: skip
    assert verified[0]["status"] == "applied" and Event.objects.get(pk=event_id).status == "closed"
    deleted = push(device, mutation("event", "delete", record_id=event_id, base=1, point=None))
    assert deleted[0]["status"] == "rejected" and "op" in deleted[0]["errors"]


def test_pull_carries_events_in_scope_and_out_of_scope_tombstones(
    routing: Any, device: APIClient, worker: User, api_client: Any, worker_of: Any, territory: Any
) -> None:
    mine = push(device, event_mutation())[0]["id"]
    colleague = worker_of("HC-XY-XA-01", "HC-SY-HH-01")
    in_my_grid = push(
        api_client(colleague), event_mutation(point=shifted(XA, north_m=500), category="municipal_road")
    )[0]["id"]
    elsewhere = push(api_client(colleague), event_mutation(point=HH, category="municipal_road"))[0]["id"]
    changes, cursor = pull_all(device, types="event")
    seen = {c["id"]: c for c in changes}
    assert set(seen) == {mine, in_my_grid}
    assert seen[mine]["data"]["department"] == "HC-XF" and seen[mine]["data"]["status"] == "dispatched"
    assert seen[mine]["geometry"]["type"] == "Point" and seen[mine]["data"]["grid"] == "HC-XY-XA-01"

    today = dt.date.today()  # noqa: DTZ011
    worker.grid_assignments.update(valid_from=today - dt.timedelta(days=30))
    grid_assignment_end(assignment=worker.grid_assignments.get(), valid_to=today - dt.timedelta(days=1))
    grid_assignment_create(worker=worker, grid=territory["HC-SY-HH-01"], valid_from=today)
    changes, cursor = pull_all(device, cursor, types="event")
    stones = {c["id"] for c in changes if c.get("reason") == "out_of_scope"}
    live = {c["id"] for c in changes if not c["deleted"]}
    assert stones == {in_my_grid}  # the worker's own report stays with them
    assert elsewhere in live and mine not in stones


def _handled_event(device: APIClient, department_client: Any) -> str:
    event_id = push(device, event_mutation(category="dispute_neighbour", title="邻里纠纷"))[0]["id"]
    community = department_client("HC-XY-XA-CW")
    for action, extra in (("sign", {}), ("start", {}), ("report_handled", {"note": "已处理"})):
        version = community.get(f"/api/v1/events/{event_id}/").json()["properties"]["version"]
        response = community.post(f"/api/v1/events/{event_id}/actions/", {"action": action, **extra},
                                  format="json", HTTP_IF_MATCH=f'"{version}"')  # fmt: skip
        assert response.status_code == 200, response.content
    return event_id


def test_actions_in_a_push_are_checked_as_over_rest(
    routing: Any, device: APIClient, department_client: Any
) -> None:
    event_id = _handled_event(device, department_client)
    refused = [
        {"note": "未处理\u0000完"},  # PostgreSQL text cannot hold NUL
        {"photos": ["a" * 65]},
        {"photos": [{"a": 1}]},
        {"note": "长" * 4001},
    ]
    for extra in refused:
        verify = mutation("event", "update", record_id=event_id, base=1, point=None, action="verify", ok=False,
                          **extra)  # fmt: skip
        (result,) = push(device, verify)
        assert result["status"] == "rejected" and set(result["errors"]["data"]) == set(extra), result
    assert Event.objects.get(pk=event_id).status == "handled"
    verify = mutation("event", "update", record_id=event_id, base=1, point=None, action="verify", ok=True,
                      photos=["b" * 64], note="已核实")  # fmt: skip
    (result,) = push(device, verify)
    assert result["status"] == "applied"
    assert Event.objects.get(pk=event_id).status == "closed"
