"""The registry over HTTP: collect (201/200), detail with history, If-Match, search, filters, review, merges."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.registry.models import Building, ReviewItem
from tests.registry.conftest import XA, geo, id_number, shifted

pytestmark = pytest.mark.django_db


def post_building(client: APIClient, point: tuple[float, float] = XA, **data: Any) -> Any:
    return client.post(
        "/api/v1/buildings/", {"location": geo(point), "address": "新垵村529号", **data}, format="json"
    )


def test_collect_created_then_merged_with_explanation(client: APIClient) -> None:
    created = post_building(client, floors=5)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["outcome"] == "created" and body["merged_into"] is None and created["ETag"] == '"1"'
    merged = post_building(client, shifted(XA, east_m=8), address="新垵村五二九号")
    assert merged.status_code == 200
    assert merged.json()["merged_into"] == body["id"] == merged.json()["id"]
    assert merged.json()["match"]["score"] >= 0.85
    assert merged.json()["submitted_id"] != body["id"]


def test_gcj02_location_is_converted(client: APIClient) -> None:
    from apps.core.geo.crs import wgs84_to_gcj02

    response = post_building(client, wgs84_to_gcj02(*XA), crs="gcj02")
    assert response.status_code == 201
    building = Building.objects.get(pk=response.json()["id"])
    assert abs(building.location.x - XA[0]) < 1e-6 and abs(building.location.y - XA[1]) < 1e-6


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"location": {"type": "Point", "coordinates": [118.02]}}, "location"),
        ({"location": {"type": "Point", "coordinates": ["a", 24]}}, "location"),
        ({"location": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}, "location"),
        ({"floors": 0}, "floors"),
        ({"floors": "five"}, "floors"),
        ({"use": "castle"}, "use"),
        ({"footprint": {"type": "Polygon", "coordinates": [[[118.02, 24.48], [118.03, 24.49], [118.03, 24.48], [118.02, 24.49], [118.02, 24.48]]]}}, "footprint"),
        ({"location": geo((116.4, 39.9))}, "location"),
        ({"address": ""}, "address"),
    ],
)  # fmt: skip
def test_bad_building_input_is_400_naming_the_field(
    client: APIClient, payload: dict[str, Any], field: str
) -> None:
    body = {"location": geo(XA), "address": "新垵村529号", **payload}
    response = client.post("/api/v1/buildings/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Building.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"id_number": "350205199003071230"}, "id_number", "id_checksum"),
        ({"id_number": "990205199003071234"}, "id_number", "id_area"),
        ({"phone": "12345"}, "phone", "phone_format"),
        ({"id_number": id_number(), "birth_date": "1991-01-01"}, "birth_date", "id_mismatch"),
    ],
)
def test_bad_person_input_names_the_rule(
    client: APIClient, payload: dict[str, Any], field: str, rule: str
) -> None:
    response = client.post("/api/v1/people/", {"name": "陈伟", "location": geo(XA), **payload}, format="json")
    assert response.status_code == 400
    assert rule in str(response.json()["errors"][field])


def test_detail_has_history_and_update_needs_if_match(client: APIClient) -> None:
    building_id = post_building(client).json()["id"]
    post_building(client, shifted(XA, north_m=5))
    detail = client.get(f"/api/v1/buildings/{building_id}/")
    assert detail.status_code == 200 and detail["ETag"] == '"2"'
    assert [o["outcome"] for o in detail.json()["properties"]["observations"]] == ["created", "merged"]

    url = f"/api/v1/buildings/{building_id}/"
    assert client.patch(url, {"floors": 4}, format="json").status_code == 428
    assert client.patch(url, {"floors": 4}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    ok = client.patch(url, {"floors": 4}, format="json", HTTP_IF_MATCH='"2"')
    assert ok.status_code == 200 and ok["ETag"] == '"3"' and ok.json()["properties"]["floors"] == 4


def test_alias_ids_resolve_to_the_canonical_record(client: APIClient) -> None:
    canonical = post_building(client).json()["id"]
    alias = post_building(client, shifted(XA, east_m=3)).json()["submitted_id"]
    assert client.get(f"/api/v1/buildings/{alias}/").json()["id"] == canonical


def test_person_lists_mask_and_detail_reveals(client: APIClient) -> None:
    number = id_number()
    person_id = client.post(
        "/api/v1/people/",
        {"name": "陈伟", "id_number": number, "phone": "13812345678", "location": geo(XA)},
        format="json",
    ).json()["id"]
    listed = client.get("/api/v1/people/").json()["results"][0]
    assert listed["id_number"] == number[:6] + "********" + number[-4:]
    assert listed["phone"] == "138****5678"
    detail = client.get(f"/api/v1/people/{person_id}/").json()
    assert (
        detail["id_number"] == number and detail["birth_date"] == "1990-03-07" and detail["gender"] == "male"
    )


def test_search_by_id_number_in_the_body(client: APIClient) -> None:
    number = id_number()
    client.post("/api/v1/people/", {"name": "陈伟", "id_number": number, "location": geo(XA)}, format="json")
    found = client.post("/api/v1/people/search/", {"id_number": number.lower()}, format="json")
    assert found.status_code == 200 and [p["name"] for p in found.json()] == ["陈伟"]
    assert (
        client.post(
            "/api/v1/people/search/", {"id_number": number, "phone": "138"}, format="json"
        ).status_code
        == 400
    )


def test_filters(client: APIClient) -> None:
    post_building(client, use="rental")
    post_building(client, shifted(XA, north_m=400), address="新垵村12号", use="shop")
    by_use = client.get("/api/v1/buildings/", {"use": "shop"}).json()["features"]
    assert [f["properties"]["address"] for f in by_use] == ["新垵村12号"]
    near = client.get("/api/v1/buildings/", {"near": f"{XA[0]},{XA[1]},100"}).json()["features"]
    assert [f["properties"]["address"] for f in near] == ["新垵村529号"]
    box = client.get("/api/v1/buildings/", {"bbox": "118.0,24.48,118.03,24.4875"}).json()["features"]
    assert len(box) == 1
    assert len(client.get("/api/v1/buildings/", {"address": "529"}).json()["features"]) == 1
    assert len(client.get("/api/v1/buildings/", {"community": "HC-XY-XA"}).json()["features"]) == 2
    assert client.get("/api/v1/buildings/", {"near": "1,2"}).status_code == 400


def test_residence_move_in_and_out(client: APIClient) -> None:
    building_id = post_building(client).json()["id"]
    person_id = client.post("/api/v1/people/", {"name": "王芳", "location": geo(XA)}, format="json").json()[
        "id"
    ]
    moved_in = client.post(
        "/api/v1/residences/", {"person_id": person_id, "building_id": building_id, "room": "302", "relation": "tenant",
                                "since": "2026-01-01"}, format="json")  # fmt: skip
    assert moved_in.status_code == 201
    out = client.post(
        f"/api/v1/residences/{moved_in.json()['id']}/end/", {"until": "2026-10-31"}, format="json"
    )
    assert out.status_code == 200 and out.json()["until"] == "2026-10-31"
    assert client.get("/api/v1/residences/", {"current": "true"}).json()["results"] == []


def test_review_queue_decision_and_merge_history(
    client: APIClient, api_client: Callable[[Any], APIClient], dispatcher_of: Callable[[str], User]
) -> None:
    first = post_building(client).json()["id"]
    second = post_building(client, shifted(XA, east_m=40), address="新垵村529号旁").json()
    assert second["review_id"]
    dispatcher = api_client(dispatcher_of("HC-XY"))
    queue = dispatcher.get("/api/v1/registry/reviews/", {"status": "open"}).json()["results"]
    assert [item["id"] for item in queue] == [second["review_id"]]
    decided = dispatcher.post(
        f"/api/v1/registry/reviews/{second['review_id']}/decide/", {"decision": "merge"}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "merged"
    assert Building.objects.get(pk=second["id"]).merged_into_id is not None
    again = dispatcher.post(
        f"/api/v1/registry/reviews/{second['review_id']}/decide/", {"decision": "merge"}, format="json"
    )
    assert again.status_code == 409

    history = dispatcher.get("/api/v1/registry/merges/").json()["results"]
    manual = next(m for m in history if not m["automatic"])
    assert manual["survivor_id"] == first
    undone = dispatcher.post(f"/api/v1/registry/merges/{manual['id']}/undo/")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert Building.objects.get(pk=second["id"]).merged_into_id is None
    assert ReviewItem.objects.get().status == "merged"


def test_workers_cannot_use_the_review_queue(client: APIClient) -> None:
    assert client.get("/api/v1/registry/reviews/").status_code == 403


def test_department_staff_cannot_collect(
    api_client: Callable[[Any], APIClient], make_user: Callable[..., User]
) -> None:
    response = post_building(api_client(make_user(Role.DEPARTMENT_STAFF)))
    assert response.status_code == 403
