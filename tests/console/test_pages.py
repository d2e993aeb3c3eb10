"""The console's screens through the services: scope, dispatch, stale pages, reviews, conflicts, the map data."""

import json
import uuid
from typing import Any

import pytest
from django.urls import reverse

from apps.events.lifecycle import actor_for
from apps.events.models import Event, Status
from apps.events.services import ActionInput, event_act
from apps.registry.models import Building, MergeEvent, ReviewItem, ReviewStatus
from apps.sync.models import ConflictItem
from tests.registry.conftest import geo, shifted

from .conftest import HH, XA


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_the_triage_queue_holds_the_dispatchers_territory_only(world: dict[str, Any], console: Any) -> None:
    page = _text(console(world["dispatcher"]).get("/console/triage/"))
    assert world["mine"].title in page
    assert world["theirs"].title not in page  # 嵩屿's dispute
    assert world["routed"].title not in page  # routed by the rules: not waiting
    other = _text(console(world["dispatcher_sy"]).get("/console/triage/"))
    assert world["theirs"].title in other and world["mine"].title not in other


def test_one_click_dispatch_from_triage(world: dict[str, Any], console: Any) -> None:
    event = world["mine"]
    client = console(world["dispatcher"])
    response = client.post(
        reverse("console:dispatch", args=[event.pk]), {"version": event.version, "department": "HC-SF-XY"}
    )
    assert response.status_code == 303 and response["Location"] == "/console/triage/"
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED and event.department is not None
    assert event.department.code == "HC-SF-XY"
    assert event.timeline.filter(action="dispatch", actor=world["dispatcher"]).exists()
    page = _text(client.get("/console/triage/"))
    assert (
        "新阳司法所" in page and event.title in page
    )  # the success message names it; the queue no longer lists it
    assert f'data-event="{event.pk}"' not in page


def test_dispatching_an_event_out_of_scope_is_404(world: dict[str, Any], console: Any) -> None:
    event = world["theirs"]
    response = console(world["dispatcher"]).post(
        reverse("console:dispatch", args=[event.pk]), {"version": event.version, "department": "HC-SF"}
    )
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.status != Status.DISPATCHED


def test_a_department_outside_the_events_jurisdiction_is_refused_with_a_message(
    world: dict[str, Any], console: Any
) -> None:
    event = world["mine"]
    client = console(world["dispatcher"])
    client.post(
        reverse("console:dispatch", args=[event.pk]), {"version": event.version, "department": "HC-SF-HC"}
    )
    event.refresh_from_db()
    assert event.department is None
    assert "department" in _text(client.get("/console/triage/"))


def test_a_stale_page_is_told_412_and_nothing_changes(world: dict[str, Any], console: Any) -> None:
    event = world["mine"]
    client = console(world["dispatcher"])
    shown = event.version
    # A colleague accepts it meanwhile.
    event_act(event=event, actor=actor_for(world["dispatcher"], event), expected_version=shown,
              action=ActionInput("accept"))  # fmt: skip
    response = client.post(
        reverse("console:event-action", args=[event.pk]),
        {"action": "cancel", "version": shown, "note": "重复"},
    )
    assert response.status_code == 303
    page = _text(client.get(response["Location"]))
    assert "412" in page
    event.refresh_from_db()
    assert event.status == Status.ACCEPTED


def test_an_action_not_allowed_now_is_told_409(world: dict[str, Any], console: Any) -> None:
    event = world["routed"]  # dispatched: only the department signs
    client = console(world["dispatcher"])
    client.post(
        reverse("console:event-action", args=[event.pk]), {"action": "sign", "version": event.version}
    )
    page = _text(client.get(reverse("console:event", args=[event.pk])))
    assert "409" in page
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED


def test_the_event_page_offers_the_allowed_actions_and_acts(world: dict[str, Any], console: Any) -> None:
    event = world["routed"]
    client = console(world["dispatcher"])
    page = _text(client.get(reverse("console:event", args=[event.pk])))
    assert 'data-action="remind"' in page and 'data-action="sign"' not in page
    assert event.title in page and "出租屋" in page
    client.post(reverse("console:event-action", args=[event.pk]), {"action": "remind", "version": event.version,
                                                                    "note": "请尽快"})  # fmt: skip
    event.refresh_from_db()
    assert event.reminder_count == 1 and event.version == 2
    assert "请尽快" in _text(client.get(reverse("console:event", args=[event.pk])))  # on the timeline


def test_bad_action_input_is_a_message_not_a_500(world: dict[str, Any], console: Any) -> None:
    event = world["mine"]
    client = console(world["dispatcher"])
    response = client.post(
        reverse("console:event-action", args=[event.pk]), {"action": "rate", "version": "x"}
    )
    assert response.status_code == 303
    assert "version" in _text(client.get(response["Location"]))


def test_an_event_out_of_scope_is_404(world: dict[str, Any], console: Any) -> None:
    assert (
        console(world["dispatcher"]).get(reverse("console:event", args=[world["theirs"].pk])).status_code
        == 404
    )


def _cells(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/console/map/cells.json", params)
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


def test_the_map_aggregates_the_dispatchers_open_events(world: dict[str, Any], console: Any) -> None:
    far = _cells(console(world["dispatcher"]), zoom=10)
    assert sum(f["properties"]["n"] for f in far["features"]) == 2  # the dispute and the fire, not 嵩屿's
    assert len(far["features"]) == 1  # 200 m apart: one cell at zoom 10
    near = _cells(console(world["dispatcher"]), zoom=18)
    assert {f["properties"]["id"] for f in near["features"]} == {
        str(world["mine"].pk),
        str(world["routed"].pk),
    }
    mine = next(f for f in near["features"] if f["properties"]["id"] == str(world["mine"].pk))
    assert mine["properties"]["waiting"] == 1 and mine["geometry"]["coordinates"] == [XA[0], XA[1]]
    admin = _cells(
        console(world["dispatcher_sy"]),
        zoom=18,
        bbox=f"{HH[0] - 0.01},{HH[1] - 0.01},{HH[0] + 0.01},{HH[1] + 0.01}",
    )
    assert [f["properties"]["id"] for f in admin["features"]] == [str(world["theirs"].pk)]


def test_the_map_leaves_closed_events_out(world: dict[str, Any], console: Any) -> None:
    Event.objects.filter(pk=world["routed"].pk).update(status=Status.CLOSED)
    assert sum(f["properties"]["n"] for f in _cells(console(world["dispatcher"]), zoom=12)["features"]) == 1


def test_the_map_is_shifted_to_gcj02_over_chinese_tiles(
    world: dict[str, Any], console: Any, settings: Any
) -> None:
    settings.GRIDAPI_CONSOLE_TILE_CRS = "gcj02"
    near = _cells(console(world["dispatcher"]), zoom=18)
    mine = next(f for f in near["features"] if f["properties"]["id"] == str(world["mine"].pk))
    lon, lat = mine["geometry"]["coordinates"]
    assert 0.003 < lon - XA[0] < 0.008 and -0.004 < lat - XA[1] < 0.0  # the offset around Xiamen (~500 m)


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "0,0,200,10"])
def test_a_bad_map_view_is_400(world: dict[str, Any], console: Any, bbox: str) -> None:
    response = console(world["dispatcher"]).get("/console/map/cells.json", {"zoom": 12, "bbox": bbox})
    assert response.status_code == 400 and "bbox" in json.loads(response.content)["errors"]


def test_the_map_data_costs_a_bounded_number_of_queries(
    world: dict[str, Any], console: Any, django_assert_max_num_queries: Any
) -> None:
    client = console(world["dispatcher"])
    with django_assert_max_num_queries(4):  # session, user (with the territory), the cells
        _cells(client, zoom=12)


def test_grid_boundaries_of_the_territory(world: dict[str, Any], console: Any) -> None:
    grids = json.loads(console(world["dispatcher"]).get("/console/map/grids.json").content)
    codes = {f["properties"]["code"] for f in grids["features"]}
    assert "HC-XY-XA-01" in codes and "HC-SY-HH-01" not in codes


def _building(client: Any, address: str, point: tuple[float, float], **extra: Any) -> str:
    response = client.post(
        "/api/v1/buildings/", {"address": address, "location": geo(point), **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


@pytest.fixture
def queued(world: dict[str, Any], api_client: Any, territory: Any) -> dict[str, Any]:
    """A possible duplicate and a sync conflict in 新垵村 grid 01, and the same in 海虹社区 (not the dispatcher's)."""
    device = api_client(world["worker"])
    first = _building(device, "新垵村顶许1号", shifted(XA, 50), name="顶许大楼")
    second = _building(device, "新垵村顶许3号", shifted(XA, 80), name="顶许大厦")
    far = _building(api_client(world["worker_hh"]), "海虹社区1号", HH)
    review = ReviewItem.objects.create(record_type="building", record_id=second, candidate_id=first,
                                       grid=territory["HC-XY-XA-01"], score=0.62, reasons=["名称相近"])  # fmt: skip
    hidden = ReviewItem.objects.create(record_type="building", record_id=far, candidate_id=far,
                                       grid=territory["HC-SY-HH-01"], score=0.6, reasons=["海虹"])  # fmt: skip
    conflict = ConflictItem.objects.create(
        record_type="building", record_id=first, grid=territory["HC-XY-XA-01"], field="floors", device_value=7,
        server_value=6, base_version=1, server_version=2, mutation_id=uuid.uuid4(), user=world["worker"],
    )  # fmt: skip
    return {"review": review, "hidden": hidden, "conflict": conflict, "first": first, "second": second}


def test_the_review_queue_shows_both_records_side_by_side(queued: dict[str, Any], world: dict[str, Any],
                                                          console: Any) -> None:  # fmt: skip
    page = _text(console(world["dispatcher"]).get("/console/reviews/"))
    assert "顶许大楼" in page and "顶许大厦" in page and "新垵村顶许3号" in page
    assert f'data-review="{queued["review"].pk}"' in page and "海虹" not in page


def test_merging_a_review_and_undoing_it(queued: dict[str, Any], world: dict[str, Any], console: Any) -> None:
    client = console(world["dispatcher"])
    review = queued["review"]
    client.post(reverse("console:review-decide", args=[review.pk]), {"decision": "merge", "note": "同一栋"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.MERGED
    merge = MergeEvent.objects.get(survivor_id=queued["first"], merged_id=queued["second"])
    page = _text(client.get("/console/reviews/"))
    assert f'data-merge="{merge.pk}"' in page and f'data-review="{review.pk}"' not in page
    client.post(reverse("console:merge-undo", args=[merge.pk]))
    merge.refresh_from_db()
    assert merge.undone_at is not None
    # Deciding twice is told, not a 500.
    client.post(reverse("console:review-decide", args=[review.pk]), {"decision": "keep_apart"})
    assert "409" in _text(client.get("/console/reviews/"))


def test_keeping_apart_and_a_review_out_of_scope(
    queued: dict[str, Any], world: dict[str, Any], console: Any
) -> None:
    client = console(world["dispatcher"])
    client.post(reverse("console:review-decide", args=[queued["review"].pk]), {"decision": "keep_apart"})
    queued["review"].refresh_from_db()
    assert queued["review"].status == ReviewStatus.KEPT_APART
    hidden = client.post(reverse("console:review-decide", args=[queued["hidden"].pk]), {"decision": "merge"})
    assert hidden.status_code == 404


def test_the_conflicts_queue_resolves_with_the_devices_value(queued: dict[str, Any], world: dict[str, Any],
                                                             console: Any) -> None:  # fmt: skip
    client = console(world["dispatcher"])
    conflict = queued["conflict"]
    assert f'data-conflict="{conflict.pk}"' in _text(client.get("/console/conflicts/"))
    client.post(reverse("console:conflict-resolve", args=[conflict.pk]), {"keep": "device"})
    conflict.refresh_from_db()
    assert conflict.status == "resolved" and conflict.resolution == "device"
    assert Building.objects.get(pk=queued["first"]).floors == 7
    assert (
        console(world["dispatcher_sy"])
        .post(reverse("console:conflict-resolve", args=[conflict.pk]), {"keep": "server"})
        .status_code
        == 404
    )


def test_the_indicators_dashboard_links_its_exports(world: dict[str, Any], console: Any) -> None:
    page = _text(console(world["dispatcher"]).get("/console/indicators/"))
    assert "/api/v1/stats/indicators/?" in page and "format=csv" in page and "format=xlsx" in page
    assert "结案率" in page


def test_the_patrols_of_a_day(world: dict[str, Any], console: Any) -> None:
    client = console(world["dispatcher"])
    assert _text(client.get("/console/patrols/", {"day": "2026-02-30"}))  # no such day: today instead
    assert "2026-03-01" in _text(client.get("/console/patrols/", {"day": "2026-03-01"}))
