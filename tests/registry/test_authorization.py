"""Every registry endpoint restricted to what the caller may see (the pattern of tests/authorization.py)."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.registry.services import record_merge, residence_collect
from tests.authorization import Case, assert_hidden_from_outsider
from tests.registry.conftest import HH, XA, id_number, shifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    territory: Any, worker_of: Any, dispatcher_of: Any, collect_building: Any, collect_person: Any
) -> dict[str, Any]:
    worker_a, worker_b = worker_of("HC-XY-XA-01"), worker_of("HC-SY-HH-01")
    building = collect_building(collector=worker_a).record
    person = collect_person(collector=worker_a, name="陈伟", id_number=id_number()).record
    residence, _ = residence_collect(person=person, building=building, room="1", relation="tenant")
    spare = collect_building(collector=worker_a, point=shifted(XA, north_m=200), address="新垵村1号").record
    dispatcher_xy = dispatcher_of("HC-XY")
    event = record_merge(
        record_type="building", survivor_id=building.pk, merged_id=spare.pk, actor=dispatcher_xy
    )
    collect_building(collector=worker_b, point=HH, address="海虹社区8号")
    maybe = collect_building(collector=worker_a, point=shifted(XA, east_m=40), address="新垵村529号旁")
    return {
        "worker_a": worker_a, "worker_b": worker_b, "dispatcher_xy": dispatcher_xy,
        "dispatcher_sy": dispatcher_of("HC-SY"), "building": building, "person": person, "residence": residence,
        "merge": event, "review": maybe.review,
    }  # fmt: skip


def if_match(record: Any) -> dict[str, str]:
    record.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{record.version}"'}


CASES = [
    Case("building detail", "get", lambda w: f"/api/v1/buildings/{w['building'].pk}/", "worker_a", "worker_b"),
    Case("building detail, dispatchers", "get", lambda w: f"/api/v1/buildings/{w['building'].pk}/",
         "dispatcher_xy", "dispatcher_sy"),
    Case("building update", "patch", lambda w: f"/api/v1/buildings/{w['building'].pk}/", "worker_a", "worker_b",
         body=lambda w: {"floors": 3}, headers=lambda w: if_match(w["building"])),
    Case("person detail", "get", lambda w: f"/api/v1/people/{w['person'].pk}/", "worker_a", "worker_b"),
    Case("person update", "patch", lambda w: f"/api/v1/people/{w['person'].pk}/", "worker_a", "worker_b",
         body=lambda w: {"household_type": "floating"}, headers=lambda w: if_match(w["person"])),
    Case("residence detail", "get", lambda w: f"/api/v1/residences/{w['residence'].pk}/", "worker_a", "worker_b"),
    Case("residence end", "post", lambda w: f"/api/v1/residences/{w['residence'].pk}/end/", "worker_a", "worker_b",
         body=lambda w: {"until": "2030-01-01"}),
    Case("merge detail", "get", lambda w: f"/api/v1/registry/merges/{w['merge'].pk}/", "dispatcher_xy", "dispatcher_sy"),
    Case("review item detail", "get", lambda w: f"/api/v1/registry/reviews/{w['review'].pk}/", "dispatcher_xy",
         "dispatcher_sy"),
    Case("review decision", "post", lambda w: f"/api/v1/registry/reviews/{w['review'].pk}/decide/", "dispatcher_xy",
         "dispatcher_sy", body=lambda w: {"decision": "keep_apart"}),
    Case("merge undo", "post", lambda w: f"/api/v1/registry/merges/{w['merge'].pk}/undo/", "dispatcher_xy",
         "dispatcher_sy"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outsider_gets_404(case: Case, world: dict[str, Any], api_client: Callable[[Any], APIClient]) -> None:
    assert_hidden_from_outsider(case, world, api_client)


def test_lists_never_contain_other_grids(
    world: dict[str, Any], api_client: Callable[[Any], APIClient]
) -> None:
    client = api_client(world["worker_b"])
    addresses = [f["properties"]["address"] for f in client.get("/api/v1/buildings/").json()["features"]]
    assert addresses == ["海虹社区8号"]
    assert client.get("/api/v1/people/").json()["results"] == []
    assert client.get("/api/v1/residences/").json()["results"] == []
    assert client.post("/api/v1/people/search/", {"id_number": id_number()}, format="json").json() == []


def test_references_to_invisible_records_are_rejected(
    world: dict[str, Any], api_client: Callable[[Any], APIClient]
) -> None:
    client = api_client(world["worker_b"])
    response = client.post(
        "/api/v1/residences/",
        {
            "person_id": str(world["person"].pk),
            "building_id": str(world["building"].pk),
            "relation": "tenant",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"person_id"}
