"""The closed loop over the API: report → dispatch → sign → handle → verify (rework) → close → rate,
with return and re-route, suspension and extension; illegal moves answered 409 with the allowed ones."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from apps.events.models import Event, TimelineEntry
from tests.events.conftest import NEAR_BOUNDARY, OUTSIDE, act, report

SHA = "a" * 64
MONDAY_MORNING = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def props(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["properties"])


def timeline(event_id: Any) -> list[tuple[str, str, str]]:
    return list(
        TimelineEntry.objects.filter(event_id=event_id)
        .order_by("id")
        .values_list("action", "from_status", "to_status")
    )


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_whole_loop_with_rework_and_rating(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    worker = api_client(reporter)
    community = department_client("HC-XY-XA-CW")
    created = report(worker, "dispute_neighbour", description="楼上漏水", photos=[SHA])
    event_id = created["id"]
    assert created["outcome"] == "created" and created["status"] == "dispatched"

    listed = community.get("/api/v1/events/", {"status": "dispatched"}).json()
    assert [f["id"] for f in listed["features"]] == [event_id]
    detail = community.get(f"/api/v1/events/{event_id}/").json()
    assert props(detail)["allowed_actions"] == ["return", "sign", "suspend"]
    # sign-by: 2 business hours after dispatch at 09:00 → 11:00 the same day
    assert props(detail)["sign_by"].startswith("2026-11-16T11:00:00")

    signed = props(act(community, event_id, "sign", note="已签收"))
    assert signed["status"] == "signed"
    # handle within 5 working days from Monday 09:00 → the next Monday 09:00
    assert signed["handle_by"].startswith("2026-11-23T09:00:00")
    act(community, event_id, "start")
    act(community, event_id, "report_handled", note="已调解", photos=[SHA])

    failed = props(act(worker, event_id, "verify", ok=False, note="仍在漏水"))
    assert failed["status"] == "in_progress" and failed["rework_count"] == 1
    act(community, event_id, "report_handled", note="已更换水管")
    closed = props(act(worker, event_id, "verify", ok=True, note="已核实"))
    assert closed["status"] == "closed" and closed["closed_at"]
    rated = props(act(worker, event_id, "rate", rating=5, note="满意"))
    assert rated["status"] == "rated" and rated["rating"] == 5

    assert timeline(event_id) == [
        ("report", "", "reported"), ("accept", "reported", "accepted"), ("dispatch", "accepted", "dispatched"),
        ("sign", "dispatched", "signed"), ("start", "signed", "in_progress"),
        ("report_handled", "in_progress", "handled"), ("verify", "handled", "in_progress"),
        ("report_handled", "in_progress", "handled"), ("verify", "handled", "closed"), ("rate", "closed", "rated"),
    ]  # fmt: skip
    entry = TimelineEntry.objects.filter(event_id=event_id, action="report_handled").first()
    assert entry is not None and entry.actor_department.code == "HC-XY-XA-CW" and entry.photos == [SHA]


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_return_then_reroute_by_hand_and_by_rules(routing: Any, api_client: Any, reporter: Any, department_client: Any,
                                                  dispatcher_of: Any) -> None:  # fmt: skip
    worker, dispatcher = api_client(reporter), api_client(dispatcher_of("350205"))
    event_id = report(worker, "construction_new")["id"]
    zz = department_client("HC-XY-ZZ")
    returned = props(act(zz, event_id, "return", note="属于城管职责", expect=200))
    assert (
        returned["status"] == "accepted" and returned["department"] is None and returned["return_count"] == 1
    )
    # the returning department no longer sees it; the dispatcher finds it in triage
    assert zz.get(f"/api/v1/events/{event_id}/").status_code == 404
    triage = dispatcher.get("/api/v1/events/triage/").json()
    assert event_id in [f["id"] for f in triage["features"]]

    rerouted = props(act(dispatcher, event_id, "dispatch", department="HC-XY-CG"))
    assert rerouted["status"] == "dispatched" and rerouted["department"] == "HC-XY-CG"
    assert rerouted["routing"]["manual"] is True
    act(department_client("HC-XY-CG"), event_id, "sign")
    # the dispatcher re-routes by the rules: back to the subdistrict's rule target, sign clock restarted
    by_rules = props(act(dispatcher, event_id, "reroute"))
    assert (
        by_rules["department"] == "HC-XY-ZZ"
        and by_rules["status"] == "dispatched"
        and by_rules["signed_at"] is None
    )
    raised = props(act(dispatcher, event_id, "raise_level", level="district"))
    assert raised["level"] == "district" and raised["department"] == "HC-CG"


def test_triaged_event_is_accepted_and_dispatched_by_a_dispatcher(routing: Any, api_client: Any, reporter: Any,
                                                                   dispatcher_of: Any) -> None:  # fmt: skip
    dispatcher = api_client(dispatcher_of("HC-XY"))
    event_id = report(api_client(reporter), "dispute_family", NEAR_BOUNDARY)["id"]
    body = act(dispatcher, event_id, "dispatch", expect=409)
    assert body["allowed"] == ["accept", "cancel", "raise_level"]
    act(dispatcher, event_id, "accept")
    # the point has a grid: without a named department the rules decide
    by_rules = props(act(dispatcher, event_id, "dispatch"))
    assert by_rules["department"] == "HC-XY-XA-CW" and by_rules["routing"]["matched_on"] == "family"

    outside = report(api_client(reporter), "dispute_family", OUTSIDE)["id"]
    act(dispatcher, outside, "accept", expect=404)  # outside every grid: the city's dispatcher's, not 新阳's
    city = api_client(dispatcher_of("350200"))
    act(city, outside, "accept")
    missing = act(city, outside, "dispatch", expect=400)
    assert "department" in missing["errors"]
    dispatched = props(act(city, outside, "dispatch", department="HC-XY-XA-CW"))
    assert dispatched["status"] == "dispatched" and dispatched["routing"]["manual"] is True


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_illegal_transitions_list_the_allowed_ones(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    worker, community = api_client(reporter), department_client("HC-XY-XA-CW")
    event_id = report(worker, "dispute_neighbour")["id"]
    refused = act(community, event_id, "report_handled", note="x", expect=409)
    assert refused["status"] == 409 and refused["code"] == "illegal_transition"
    assert refused["allowed"] == ["return", "sign", "suspend"]
    by_worker = act(worker, event_id, "sign", expect=409)
    assert by_worker["allowed"] == []
    unknown = worker.post(
        f"/api/v1/events/{event_id}/actions/", {"action": "explode"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert unknown.status_code == 400 and "action" in unknown.json()["errors"]


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_if_match_is_required_and_checked(
    routing: Any, api_client: Any, reporter: Any, department_client: Any
) -> None:
    community = department_client("HC-XY-XA-CW")
    event_id = report(api_client(reporter), "dispute_neighbour")["id"]
    missing = community.post(f"/api/v1/events/{event_id}/actions/", {"action": "sign"}, format="json")
    assert missing.status_code == 428
    stale = community.post(
        f"/api/v1/events/{event_id}/actions/", {"action": "sign"}, format="json", HTTP_IF_MATCH='"7"'
    )
    assert stale.status_code == 412
    assert Event.objects.get(pk=event_id).status == "dispatched"


def test_suspension_pauses_the_clock_and_extension_moves_the_deadline(routing: Any, api_client: Any, reporter: Any,
                                                                      department_client: Any, dispatcher_of: Any) -> None:  # fmt: skip
    dispatcher, community = api_client(dispatcher_of("350205")), department_client("HC-XY-XA-CW")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        event_id = report(api_client(reporter), "dispute_neighbour")["id"]
        signed = props(act(community, event_id, "sign"))
    handle_by = dt.datetime.fromisoformat(signed["handle_by"])
    with time_machine.travel(MONDAY_MORNING + dt.timedelta(hours=1), tick=False):  # Monday 10:00
        act(community, event_id, "suspend", note="当事人外出")
        assert act(community, event_id, "suspend", note="again", expect=409)["code"] == "conflict"
    # resumed on Wednesday 10:00: two working days (14 business hours) were lost, the deadline moves by them
    with time_machine.travel(MONDAY_MORNING + dt.timedelta(days=2, hours=1), tick=False):
        resumed = props(act(community, event_id, "resume"))
    assert dt.datetime.fromisoformat(resumed["handle_by"]) == handle_by + dt.timedelta(days=2)
    with time_machine.travel(MONDAY_MORNING + dt.timedelta(days=2, hours=2), tick=False):
        act(dispatcher, event_id, "grant_extension", expect=409)  # nothing requested yet
        act(community, event_id, "request_extension", days=3, note="需协调物业")
        granted = props(act(dispatcher, event_id, "grant_extension"))
    # + 3 working days: from Wednesday 25 Nov 09:00 to Monday 30 Nov 09:00 (a weekend in between)
    assert dt.datetime.fromisoformat(granted["handle_by"]) == handle_by + dt.timedelta(days=2) + dt.timedelta(
        days=5
    )
    entry = TimelineEntry.objects.get(event_id=event_id, action="grant_extension")
    assert entry.data["days"] == "3.00"


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_self_resolve_needs_a_photo_and_a_minor_category(
    routing: Any, api_client: Any, reporter: Any
) -> None:
    worker = api_client(reporter)
    no_photo = worker.post("/api/v1/events/", {"category": "fire_passage_blocked", "title": "通道堵塞", "resolved_on_site": True,
                                              "location": {"type": "Point", "coordinates": [118.0230, 24.4850]}}, format="json")  # fmt: skip
    assert no_photo.status_code == 400 and "photos" in no_photo.json()["errors"]
    major = worker.post("/api/v1/events/", {"category": "fire_rental", "title": "x", "resolved_on_site": True, "photos": [SHA],
                                           "location": {"type": "Point", "coordinates": [118.0230, 24.4850]}}, format="json")  # fmt: skip
    assert major.status_code == 400 and "resolved_on_site" in major.json()["errors"]
    done = report(worker, "fire_passage_blocked", resolved_on_site=True, photos=[SHA])
    assert done["status"] == "closed"
    event = Event.objects.get(pk=done["id"])
    assert event.self_resolved and event.department is None and event.closed_at == timezone.now()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "category": "nope",
                "title": "x",
                "location": {"type": "Point", "coordinates": [118.023, 24.485]},
            },
            "category",
        ),
        (
            {
                "category": "fire_rental",
                "title": "x",
                "location": {"type": "Point", "coordinates": [200, 24]},
            },
            "location",
        ),
        (
            {
                "category": "fire_rental",
                "title": "",
                "location": {"type": "Point", "coordinates": [118.023, 24.485]},
            },
            "title",
        ),
        (
            {
                "category": "fire_rental",
                "title": "x",
                "photos": ["nothex"],
                "location": {"type": "Point", "coordinates": [118.023, 24.485]},
            },
            "photos",
        ),
        (
            {
                "category": "fire_rental",
                "title": "x",
                "building_id": "0193a000-0000-7000-8000-000000000000",
                "location": {"type": "Point", "coordinates": [118.023, 24.485]},
            },
            "building_id",
        ),
    ],
)
def test_bad_reports_are_400_with_field_errors(
    routing: Any, api_client: Any, reporter: Any, body: Any, field: str
) -> None:
    response = api_client(reporter).post("/api/v1/events/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Event.objects.exists()
