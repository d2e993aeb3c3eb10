"""What a collector outside a record's scope may do (another grid's worker whose collection matches it).

Identity is global — one person is one record wherever they were collected — so the merge happens, but: the
fields it brings never overwrite; tags and ID/passport numbers are not filled in but queued for the record's
dispatchers; a person collected in the collector's grid who lived elsewhere has moved (人走/人来); a standard
address code held by a building farther than ``GRIDAPI_MATCH_CODE_MAX_DISTANCE_M`` goes to review; and the
answer names the canonical id only. One by one, through the push, and through the batch of new buildings.
"""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.journal.models import Change, JournalEntry
from apps.registry.models import Building, Person, Residence, ReviewItem
from apps.registry.services import residence_collect, review_decide
from tests.registry.conftest import HH, geo, id_number
from tests.sync.conftest import mutation, push

pytestmark = pytest.mark.django_db
EDGE_A, EDGE_B = (118.02660, 24.4850), (118.02672, 24.4850)  # 12 m apart, either side of grids 01 | 02


@pytest.fixture
def worker_b(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-SY-HH-01")


def test_tags_and_identity_numbers_from_outside_the_scope_become_a_review_item(
    api_client: Callable[[Any], APIClient], worker_b: User, collect_person: Any, dispatcher_of: Any
) -> None:
    person = collect_person(name="陈伟", id_number=id_number()).record
    b = api_client(worker_b)
    body = {"name": "陈伟", "location": geo(HH), "id_number": id_number(), "passport_number": "E12345678",
            "tags": ["community_correction"]}  # fmt: skip
    response = b.post("/api/v1/people/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == str(person.pk)
    assert response.json()["match"] is None  # nothing quoted of the record
    (result,) = push(
        b, mutation("person", point=HH, name="陈伟", id_number=id_number(), tags=["drug_rehabilitation"])
    )
    assert result["status"] == "merged" and result["id"] == str(person.pk) and result["match"] is None
    person.refresh_from_db()
    assert person.tags == [] and person.passport_index == ""
    items = ReviewItem.objects.filter(record_id=person.pk, status="open")
    assert items.count() == 2 and all(item.reasons[0].startswith("held back") for item in items)
    assert {"passport_number", "tags"} <= {r for item in items for r in item.reasons}
    # The record's dispatchers decide (新阳街道's: the person still lives in 新垵村, having brought no new home).
    dispatcher = dispatcher_of("HC-XY")
    assert {str(item.pk) for item in items} <= {
        r["id"] for r in api_client(dispatcher).get("/api/v1/registry/reviews/").json()["results"]
    }
    for item in items:
        review_decide(item=item, decision="merge", actor=dispatcher)
    person.refresh_from_db()
    assert set(person.tags) == {"community_correction", "drug_rehabilitation"} and person.passport_index


def test_a_person_collected_in_another_grid_with_a_home_there_has_moved(
    api_client: Callable[[Any], APIClient], client: APIClient, worker_b: User, collect_person: Any,
    collect_building: Any,
) -> None:  # fmt: skip
    home_a = collect_building(address="新垵村529号").record
    person = collect_person(name="陈伟", id_number=id_number()).record
    residence_collect(person=person, building=home_a, room="1", relation="tenant")
    home_b = collect_building(point=HH, address="海虹社区8号", collector=worker_b).record
    assert client.get(f"/api/v1/people/{person.pk}/").status_code == 200
    b = api_client(worker_b)
    body = {
        "name": "陈伟",
        "id_number": id_number(),
        "residence": {"building_id": str(home_b.pk), "relation": "tenant"},
    }
    response = b.post("/api/v1/people/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == str(person.pk)
    person.refresh_from_db()
    assert person.grid_id == home_b.grid_id
    moved = JournalEntry.objects.filter(record_id=person.pk, change=Change.MOVED).get()
    assert moved.previous_grid_id == home_a.grid_id and moved.grid_id == home_b.grid_id
    homes = {r.building_id: r.until for r in Residence.objects.filter(person=person)}
    assert homes[home_a.pk] is not None and homes[home_b.pk] is None  # 人走 in A, 人来 in B
    assert client.get(f"/api/v1/people/{person.pk}/").status_code == 404  # out of A's scope now
    assert b.get(f"/api/v1/people/{person.pk}/").status_code == 200


def test_a_standard_code_held_far_away_goes_to_review_not_merged(
    api_client: Callable[[Any], APIClient], worker_b: User, collect_building: Any
) -> None:
    far = collect_building(address="新垵村529号", address_code="350205001001529", name="").record
    b = api_client(worker_b)
    body = {
        "address": "海虹社区8号",
        "address_code": "350205001001529",
        "name": "海虹大厦",
        "location": geo(HH),
    }
    response = b.post("/api/v1/buildings/", body, format="json")
    assert response.status_code == 201 and response.json()["review_id"]
    created = Building.objects.get(pk=response.json()["id"])
    assert created.address_code == "" and created.pk != far.pk
    # The batch path (a run of new buildings in the push) decides the same.
    (result,) = push(b, mutation("building", point=HH, address="海虹社区9号", address_code="350205001001529"))
    assert result["status"] == "applied" and result["id"] != str(far.pk)
    far.refresh_from_db()
    assert far.name == "" and far.version == 1  # nothing written on the faraway building
    assert ReviewItem.objects.filter(candidate_id=far.pk, status="open").count() == 2


def test_a_merge_across_a_grid_line_answers_the_id_only_one_by_one_and_in_a_batch(
    api_client: Callable[[Any], APIClient], worker_of: Callable[..., User], collect_building: Any
) -> None:
    mine = collect_building(point=EDGE_A, address="新垵村600号", name="").record
    neighbour = api_client(worker_of("HC-XY-XA-02"))
    body = {"address": "新垵村600号", "name": "新垵大楼", "location": geo(EDGE_B)}
    response = neighbour.post("/api/v1/buildings/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == str(mine.pk)
    assert response.json()["match"] is None
    (result,) = push(neighbour, mutation("building", point=EDGE_B, address="新垵村600号"))
    assert result["status"] == "merged" and result["id"] == str(mine.pk) and result["match"] is None
    mine.refresh_from_db()
    assert mine.name == "新垵大楼"  # a plain field it lacked is filled in; nothing is overwritten
    # The grid's own worker is told why.
    (own,) = push(
        api_client(worker_of("HC-XY-XA-01")), mutation("building", point=EDGE_A, address="新垵村600号")
    )
    assert own["status"] == "merged" and own["match"]["reasons"]


def test_fields_from_outside_never_overwrite(
    api_client: Callable[[Any], APIClient], worker_b: User, collect_person: Any
) -> None:
    person = collect_person(
        name="陈伟", id_number=id_number(), phone="13800138000", household_type="registered"
    ).record
    body = {"name": "陈伟", "location": geo(HH), "id_number": id_number(), "phone": "13900139000",
            "household_type": "floating"}  # fmt: skip
    assert api_client(worker_b).post("/api/v1/people/", body, format="json").status_code == 200
    person.refresh_from_db()
    assert person.household_type == "registered"
    assert Person.objects.get(pk=person.pk).phone_index == person.phone_index
