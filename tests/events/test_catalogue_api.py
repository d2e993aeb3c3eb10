"""The catalogue as the API serves it, and the routing preview for dispatchers."""

from typing import Any

from apps.events.models import EventCategory, EventFamily
from tests.events.conftest import OUTSIDE, XA, geo


def test_the_seeded_catalogue_has_every_family_with_a_few_categories(
    routing: Any, api_client: Any, reporter: Any
) -> None:
    body = api_client(reporter).get("/api/v1/events/categories/").json()
    families = {row["family"] for row in body}
    assert len(families) == EventFamily.objects.count() == 13
    assert all(sum(row["family"] == family for row in body) >= 2 for family in families)
    fire = next(row for row in body if row["code"] == "fire_rental")
    assert fire["family_name"] == "消防隐患" and fire["default_level"] == "district" and fire["name_en"]


def test_inactive_categories_are_hidden_and_refused(routing: Any, api_client: Any, reporter: Any) -> None:
    EventCategory.objects.filter(pk="food_expired").update(is_active=False)
    client = api_client(reporter)
    assert "food_expired" not in {row["code"] for row in client.get("/api/v1/events/categories/").json()}
    refused = client.post(
        "/api/v1/events/", {"category": "food_expired", "title": "x", "location": geo(XA)}, format="json"
    )
    assert refused.status_code == 400 and "category" in refused.json()["errors"]


def test_route_preview(routing: Any, api_client: Any, dispatcher_of: Any, reporter: Any) -> None:
    dispatcher = api_client(dispatcher_of("350205"))
    here = dispatcher.post(
        "/api/v1/events/route-preview/", {"category": "fire_rental", "location": geo(XA)}, format="json"
    )
    assert here.status_code == 200 and here.json()["department"] == "HC-XF" and not here.json()["triage"]
    city = dispatcher.post("/api/v1/events/route-preview/", {"category": "fire_rental", "location": geo(XA),
                                                             "level": "city"}, format="json")  # fmt: skip
    assert city.json()["department"] == "XM-ZZ"
    outside = dispatcher.post(
        "/api/v1/events/route-preview/", {"category": "fire_rental", "location": geo(OUTSIDE)}, format="json"
    )
    assert outside.json()["triage"] is True and outside.json()["department"] is None
    assert api_client(reporter).post("/api/v1/events/route-preview/", {}, format="json").status_code == 403
