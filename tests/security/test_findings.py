"""The outsider's findings, one test each: a collection from outside a record's scope never writes into it
(1), references to records out of scope are refused on every create path (2), stored push results belong
to the user who pushed (5)."""

import uuid
from typing import Any

import pytest

from apps.registry.models import Building, Person
from tests.registry.conftest import HH, XA, geo
from tests.sync.conftest import mutation

from .conftest import ID_NUMBER_A, PASSPORT_A, World, created

pytestmark = pytest.mark.django_db


def person_row(world: World) -> dict[str, Any]:
    return dict(Person.objects.filter(pk=world.ids["person"]).values().get())


def answer_reveals(world: World, body: dict[str, Any]) -> list[str]:
    """What of A's person the answer shows beyond its id."""
    text = str(body)
    return [s for s in world.secrets if s in text and s != world.ids["person"]] + (
        ["match reasons"] if (body.get("match") or {}).get("reasons") else []
    )


OUTSIDE_COLLECTION = {"passport_number": "G12345678", "tags": ["community_correction"], "name": "乙冒名"}


def test_1_a_push_from_another_grid_never_writes_into_the_persons_record(world: World) -> None:
    before = person_row(world)
    sent = mutation("person", point=HH, id_number=ID_NUMBER_A, **OUTSIDE_COLLECTION)
    response = world.clients["worker_b"].post(
        "/api/v1/sync/push/", {"device_id": "phone-b", "mutations": [sent]}, format="json"
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    after = person_row(world)
    assert {k: after[k] for k in before if after[k] != before[k] and k not in {"updated_at", "version"}} == {}
    assert after["tags"] == ["elderly_alone"]
    assert answer_reveals(world, result) == []


def test_1_the_same_through_rest(world: World) -> None:
    before = person_row(world)
    response = world.clients["worker_b"].post(
        "/api/v1/people/",
        {"id_number": ID_NUMBER_A, "location": geo(HH), **OUTSIDE_COLLECTION},
        format="json",
    )
    assert response.status_code in {200, 201}, response.content[:300]
    after = person_row(world)
    assert {k: after[k] for k in before if after[k] != before[k] and k not in {"updated_at", "version"}} == {}
    assert PASSPORT_A  # A's own passport stays the one sealed in A's record (compared above)
    assert answer_reveals(world, response.json()) == []


def test_1_a_standard_address_code_far_from_the_building_does_not_merge_into_it(world: World) -> None:
    wa, wb = world.clients["worker_a"], world.clients["worker_b"]
    mine = created(wa.post("/api/v1/buildings/", {"address": "新垵村标码1号", "address_code": "3502050010010001",
                                                  "name": "甲标楼", "location": geo(XA)}, format="json"))  # fmt: skip
    before = dict(Building.objects.filter(pk=mine["id"]).values().get())
    theirs = wb.post("/api/v1/buildings/", {"address": "海虹社区标码1号", "address_code": "3502050010010001",
                                            "name": "乙改名", "location": geo(HH)}, format="json")  # fmt: skip
    assert theirs.status_code == 201, theirs.content[:300]  # ~7 km away: a new record (or review), not merged
    assert theirs.json()["id"] != mine["id"]
    after = dict(Building.objects.filter(pk=mine["id"]).values().get())
    assert after == before


def test_2_an_event_photo_reference_grants_no_read(world: World) -> None:
    wb, sha = world.clients["worker_b"], world.ids["photo"]
    assert wb.get(f"/api/v1/attachments/{sha}/").status_code == 404
    reported = wb.post("/api/v1/events/", {"category": "dispute_neighbour", "title": "乙事件", "location": geo(HH),
                                           "photos": [sha]}, format="json")  # fmt: skip
    assert reported.status_code == 400, reported.content[:300]
    assert "photos" in reported.json()["errors"]
    assert wb.get(f"/api/v1/attachments/{sha}/").status_code == 404


def test_2_a_landlord_id_tells_nothing_of_which_people_exist(world: World) -> None:
    wb = world.clients["worker_b"]
    answers = [
        wb.post(
            "/api/v1/buildings/",
            {"address": f"海虹社区房东{n}号", "location": geo(HH), "landlord_id": landlord},
            format="json",
        )
        for n, landlord in enumerate([world.ids["person"], str(uuid.uuid4())])
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json()["errors"] == answers[1].json()["errors"]


def test_2_a_new_persons_residence_in_a_building_out_of_scope_is_refused(world: World) -> None:
    for where in ("push", "rest"):
        data = {"name": "乙新", "residence": {"building_id": world.ids["building"], "relation": "tenant"}}
        if where == "rest":
            response = world.clients["worker_b"].post(
                "/api/v1/people/", {**data, "location": geo(HH)}, format="json"
            )
            assert response.status_code == 400, response.content[:300]
        else:
            response = world.clients["worker_b"].post(
                "/api/v1/sync/push/", {"device_id": "phone-b", "mutations": [mutation("person", point=HH, **data)]},
                format="json",
            )  # fmt: skip
            assert response.json()["results"][0]["status"] == "rejected"
    assert not Person.objects.filter(name="乙新").exists()


def test_5_a_stored_push_result_is_not_anothers(world: World) -> None:
    sent = mutation("building", point=XA, address="新垵村回放1号")
    first = world.clients["worker_a"].post(
        "/api/v1/sync/push/", {"device_id": "phone-a", "mutations": [sent]}, format="json"
    )
    (mine,) = first.json()["results"]
    assert mine["status"] == "applied"
    replayed = world.clients["worker_b"].post(
        "/api/v1/sync/push/", {"device_id": "phone-b", "mutations": [sent]}, format="json"
    )
    (theirs,) = replayed.json()["results"]
    # B's device is answered for B: outside B's grids, so rejected — never A's stored result.
    assert theirs["status"] == "rejected", theirs
    assert mine["id"] not in replayed.content.decode()
