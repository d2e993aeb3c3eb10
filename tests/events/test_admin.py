"""Staff screens render, refuse ambiguous rules, and answer "where would this point go?"."""

from typing import Any

import pytest
from django.test import Client

from apps.events.models import EventFamily, RoutingRule
from tests.events.conftest import NEAR_BOUNDARY, XA, report


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", ["eventfamily", "eventcategory", "routingrule", "calendaroverride", "event",
                                   "triageevent"])  # fmt: skip
def test_changelists_render(routing: Any, staff: Client, api_client: Any, reporter: Any, model: str) -> None:
    report(api_client(reporter), "dispute_family", NEAR_BOUNDARY)
    assert staff.get(f"/admin/events/{model}/").status_code == 200


def test_triage_queue_lists_the_triaged_event_and_its_reason(routing: Any, staff: Client, api_client: Any,
                                                              reporter: Any) -> None:  # fmt: skip
    report(api_client(reporter), "dispute_family", NEAR_BOUNDARY, title="边界纠纷")
    report(api_client(reporter), "fire_rental", XA, title="已分拨")
    page = staff.get("/admin/events/triageevent/").content.decode()
    assert "边界纠纷" in page and "已分拨" not in page


def test_an_ambiguous_rule_is_refused_in_the_admin(routing: Any, staff: Client, territory: Any) -> None:
    before = RoutingRule.objects.count()
    response = staff.post("/admin/events/routingrule/add/", {
        "family": "fire", "level": "district", "node": str(territory["350205"].pk),
        "department": str(routing["HC-GA"].pk), "note": "",
    })  # fmt: skip
    assert response.status_code == 200 and "无法区分" in response.content.decode()
    assert RoutingRule.objects.count() == before
    assert EventFamily.objects.filter(pk="fire").exists()


def test_where_would_this_point_go(routing: Any, staff: Client) -> None:
    assert staff.get("/admin/events/routingrule/check/").status_code == 200
    page = staff.post("/admin/events/routingrule/check/", {"category": "fire_rental", "lon": XA[0], "lat": XA[1],
                                                           "crs": "wgs84", "level": ""}).content.decode()  # fmt: skip
    assert "HC-XF" in page and "HC-XY-XA-01" in page
    near = staff.post("/admin/events/routingrule/check/", {"category": "fire_rental", "lon": NEAR_BOUNDARY[0],
                                                           "lat": NEAR_BOUNDARY[1], "crs": "wgs84", "level": ""})  # fmt: skip
    assert "HC-XY-XL-03" in near.content.decode()
