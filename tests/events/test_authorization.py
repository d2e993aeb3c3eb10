"""Every event endpoint restricted to what the caller may see: departments their own events, workers their
reports and grids, dispatchers their territory (the pattern of tests/authorization.py)."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.events.models import Event, EventReport
from tests.authorization import Case, assert_hidden_from_outsider
from tests.events.conftest import HH, XA, report, shifted


@pytest.fixture
def world(
    routing: Any, api_client: Any, worker_of: Any, dispatcher_of: Any, api_key_of: Any
) -> dict[str, Any]:
    worker_a, worker_b = worker_of("HC-XY-XA-01"), worker_of("HC-SY-HH-01")
    dispute = report(api_client(worker_a), "dispute_neighbour", XA)["id"]  # → HC-XY-XA-CW
    report(api_client(worker_a), "dispute_family", shifted(XA, 10))  # attached to it
    other = report(api_client(worker_b), "dispute_neighbour", HH)["id"]  # → HC-SY-HH-CW
    _key, xa_key = api_key_of(routing["HC-XY-XA-CW"])
    _key, hh_key = api_key_of(routing["HC-SY-HH-CW"])
    attached = EventReport.objects.get(event_id=dispute, is_original=False)
    return {
        "worker_a": worker_a, "worker_b": worker_b, "dispatcher_xy": dispatcher_of("HC-XY"),
        "dispatcher_sy": dispatcher_of("HC-SY"), "xa_committee": xa_key, "hh_committee": hh_key,
        "dispute": dispute, "other": other, "attached": attached,
    }  # fmt: skip


def if_match(w: dict[str, Any], key: str = "dispute") -> dict[str, str]:
    return {"HTTP_IF_MATCH": f'"{Event.objects.get(pk=w[key]).version}"'}


CASES = [
    Case("detail, departments", "get", lambda w: f"/api/v1/events/{w['dispute']}/", "xa_committee", "hh_committee"),
    Case("detail, workers", "get", lambda w: f"/api/v1/events/{w['dispute']}/", "worker_a", "worker_b"),
    Case("detail, dispatchers", "get", lambda w: f"/api/v1/events/{w['dispute']}/", "dispatcher_xy", "dispatcher_sy"),
    Case("detail by a device's id of an attached report", "get",
         lambda w: f"/api/v1/events/{w['attached'].submitted_id}/", "worker_a", "worker_b"),
    Case("act, departments", "post", lambda w: f"/api/v1/events/{w['dispute']}/actions/", "xa_committee",
         "hh_committee", body=lambda w: {"action": "sign"}, headers=if_match),
    Case("act, dispatchers", "post", lambda w: f"/api/v1/events/{w['other']}/actions/", "dispatcher_sy",
         "dispatcher_xy", body=lambda w: {"action": "raise_level", "level": "district"},
         headers=lambda w: if_match(w, "other")),
    Case("split", "post", lambda w: f"/api/v1/events/{w['dispute']}/split/", "dispatcher_xy", "dispatcher_sy",
         body=lambda w: {"report_id": str(w["attached"].pk)}, ok_status=201),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outsider_gets_404(case: Case, world: dict[str, Any], api_client: Callable[[Any], APIClient]) -> None:
    assert_hidden_from_outsider(case, world, api_client)


def test_lists_hold_only_what_the_caller_may_see(
    world: dict[str, Any], api_client: Callable[[Any], APIClient]
) -> None:
    def ids(who: str, **query: Any) -> set[str]:
        return {f["id"] for f in api_client(world[who]).get("/api/v1/events/", query).json()["features"]}

    assert ids("xa_committee") == {world["dispute"]}
    assert ids("hh_committee") == {world["other"]}
    assert ids("worker_a") == {world["dispute"]}
    assert ids("worker_b") == {world["other"]}
    assert ids("dispatcher_sy") == {world["other"]}
    assert ids("worker_a", mine=True) == {world["dispute"]}


def test_a_worker_sees_own_reports_outside_their_grids(
    world: dict[str, Any], api_client: Any, worker_of: Any
) -> None:
    visitor = worker_of("HC-SY-HH-01")
    mine = report(api_client(visitor), "municipal_road", shifted(XA, north_m=300))["id"]
    client = api_client(visitor)
    assert client.get(f"/api/v1/events/{mine}/").status_code == 200
    assert client.get(f"/api/v1/events/{world['dispute']}/").status_code == 404


def test_a_department_cannot_act_on_an_event_it_can_see_but_does_not_handle(
    world: dict[str, Any], api_client: Any
) -> None:
    # a worker who can see an event in their grid but did not report it may not verify it
    colleague_event = world["dispute"]
    refused = api_client(world["worker_a"]).post(
        f"/api/v1/events/{colleague_event}/actions/", {"action": "sign"}, format="json", **if_match(world)
    )
    assert refused.status_code == 409 and refused.json()["allowed"] == []


def test_triage_and_notices_are_role_bound(world: dict[str, Any], api_client: Any) -> None:
    assert api_client(world["worker_a"]).get("/api/v1/events/triage/").status_code == 403
    assert api_client(world["xa_committee"]).get("/api/v1/events/triage/").status_code == 403
    notices = api_client(world["xa_committee"]).get("/api/v1/events/notices/").json()["results"]
    assert {n["event"] for n in notices} == {world["dispute"]}
    assert api_client(world["worker_a"]).get("/api/v1/events/notices/").status_code == 403
