"""Collecting organisations: matching rules, review items, sealed numbers, nine_small, merge/undo, journal."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.exceptions import ValidationError

from apps.core.crypto import unseal
from apps.journal.models import JournalEntry
from apps.registry.models import MergeEvent, Observation, RecordAlias, RecordType, ReviewItem
from apps.registry.organisations.models import Employment, Organisation, OrganisationKind
from apps.registry.organisations.services import employment_apply, nine_small
from apps.registry.services import record_merge, record_unmerge
from tests.registry.conftest import XA, id_number, shifted

from .conftest import credit_code

pytestmark = pytest.mark.django_db

Collect = Callable[..., Any]


def canonical() -> list[Organisation]:
    return list(Organisation.objects.filter(merged_into__isnull=True))


def test_first_collection_creates_with_journal_alias_and_observation(collect_org: Collect) -> None:
    outcome = collect_org(name="厦门市海沧区阿明五金店", credit_code=credit_code())
    org = outcome.record
    assert outcome.created and org.name_norm == "阿明五金店" and org.code_key == credit_code()
    assert RecordAlias.objects.get(alias=org.pk).canonical_id == org.pk
    assert Observation.objects.filter(record_type="organisation", record_id=org.pk).count() == 1
    assert JournalEntry.objects.filter(
        record_type="organisation", record_id=org.pk, change="created"
    ).exists()


def test_same_valid_code_decides_alone(collect_org: Collect) -> None:
    first = collect_org(name="阿明五金店", credit_code=credit_code())
    second = collect_org(name="完全不同的名字", credit_code=credit_code(), point=shifted(XA, east_m=60))
    assert second.outcome == "merged" and second.record.pk == first.record.pk
    assert second.match.deterministic and second.match.reasons == ["same credit code"]


def test_chain_store_same_name_different_codes_never_merged(collect_org: Collect) -> None:
    collect_org(name="美佳便利店", credit_code=credit_code("MA2XN2JX"))
    other = collect_org(name="美佳便利店", credit_code=credit_code("MA31ABCD"), point=shifted(XA, east_m=5))
    assert other.created and other.review is None
    assert len(canonical()) == 2


def test_shop_registered_with_code_after_being_collected_without_one_is_merged(collect_org: Collect) -> None:
    shop = collect_org(name="阿明五金店")
    again = collect_org(
        name="厦门阿明五金店（个体工商户）",
        credit_code=credit_code(prefix="92"),
        point=shifted(XA, north_m=8),
    )
    assert again.outcome == "merged" and again.record.pk == shop.record.pk
    shop.record.refresh_from_db()
    assert shop.record.code_key == credit_code(prefix="92")
    assert "same name" in again.match.reasons


def test_normalised_name_and_same_building_merge(collect_org: Collect, collect_building: Collect) -> None:
    building = collect_building().record
    first = collect_org(name="新阳好味道餐饮有限公司", building_id=str(building.pk), point=None)
    second = collect_org(
        name="厦门市新阳好味道餐饮有限责任公司", building_id=str(building.pk), point=shifted(XA, east_m=70)
    )
    assert second.outcome == "merged" and second.record.pk == first.record.pk
    assert "same building" in second.match.reasons


def test_same_name_far_apart_is_new(collect_org: Collect) -> None:
    collect_org(name="沙县小吃")
    other = collect_org(name="沙县小吃", point=shifted(XA, north_m=300))
    assert other.created and other.match is None


def test_same_name_at_middle_distance_is_queued_for_review(collect_org: Collect) -> None:
    first = collect_org(name="沙县小吃")
    other = collect_org(name="沙县小吃", point=shifted(XA, north_m=65))
    assert other.created and other.review is not None
    item = ReviewItem.objects.get(pk=other.review.pk)
    assert item.record_type == "organisation" and item.candidate_id == first.record.pk


def test_different_room_in_the_same_building_forbids_an_automatic_merge(
    collect_org: Collect, collect_building: Collect
) -> None:
    building = collect_building().record
    collect_org(name="阿明五金店", building_id=str(building.pk), room="101")
    other = collect_org(name="阿明五金店", building_id=str(building.pk), room="102")
    assert other.created and other.review is not None
    assert "different room in the same building" in other.review.reasons
    floor = collect_org(name="阿华茶行", building_id=str(building.pk), floor="1")
    upstairs = collect_org(name="阿华茶行", building_id=str(building.pk), floor="3")
    assert upstairs.created and upstairs.record.pk != floor.record.pk


def test_unverified_code_is_kept_flagged_and_decides_no_match(collect_org: Collect) -> None:
    bad = credit_code()[:-1] + ("0" if credit_code()[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        collect_org(name="阿明五金店", credit_code=bad)
    assert "credit_code_checksum" in str(caught.value.detail["credit_code"])
    first = collect_org(name="阿明五金店", credit_code=bad.lower(), code_unverified=True)
    assert first.record.credit_code == bad and first.record.code_unverified and first.record.code_key == ""
    far = collect_org(name="别的店", credit_code=bad, code_unverified=True, point=shifted(XA, north_m=500))
    assert far.created


def test_names_and_numbers_are_sealed_indexed_and_not_stored_plain(collect_org: Collect) -> None:
    number = id_number(seq="456")
    org = collect_org(name="阿明五金店", legal_rep_id_number=number, phone="13812345678").record
    org.refresh_from_db()
    assert number not in org.legal_rep_id_number_sealed and unseal(org.legal_rep_id_number_sealed) == number
    assert unseal(org.phone_sealed) == "13812345678" and len(org.phone_index) == 64


def test_individual_business_kind_from_code(collect_org: Collect) -> None:
    assert collect_org(credit_code=credit_code(prefix="92")).record.kind == OrganisationKind.INDIVIDUAL


@pytest.mark.parametrize(
    ("measures", "expected"),
    [
        ({}, None),
        ({"area_m2": 120.0}, True),
        ({"area_m2": 120.0, "beds": 80}, False),
        ({"seats": 40, "staff": 6}, True),
        ({"staff": 200}, False),
    ],
)
def test_nine_small_from_measures(measures: dict[str, Any], expected: bool | None) -> None:
    values = {"area_m2": None, "beds": None, "seats": None, "staff": None, **measures}
    assert nine_small(**values) is expected


def test_nine_small_tag_is_derived_on_collection(collect_org: Collect) -> None:
    small = collect_org(name="小吃店", area_m2=60, seats=20).record
    big = collect_org(
        name="大酒店", area_m2=5000, beds=300, tags=["nine_small"], point=shifted(XA, north_m=400)
    )
    assert small.tags == ["nine_small"] and big.record.tags == []


def test_automatic_merge_is_undone_exactly(collect_org: Collect) -> None:
    first = collect_org(name="阿明五金店")
    second = collect_org(name="阿明五金店", credit_code=credit_code(), point=shifted(XA, east_m=3))
    event = MergeEvent.objects.get(merged_id=second.submitted_id)
    survivor, merged = record_unmerge(event=event, actor=None)
    assert survivor.pk == first.record.pk and survivor.code_key == ""
    assert merged.merged_into_id is None and merged.code_key == credit_code()
    assert len(canonical()) == 2


def test_manual_merge_moves_employments_and_undo_moves_them_back(
    collect_org: Collect, collect_person: Collect, worker: Any
) -> None:
    a = collect_org(name="阿明五金店").record
    b = collect_org(name="海沧阿华茶行", point=shifted(XA, north_m=400)).record
    person = collect_person(name="黄明").record
    employment, created = employment_apply(person=person.pk, organisation=b.pk, role="店员")
    assert created
    event = record_merge(record_type=RecordType.ORGANISATION, survivor_id=a.pk, merged_id=b.pk, actor=worker)
    assert Employment.objects.get(pk=employment.pk).organisation_id == a.pk
    record_unmerge(event=event, actor=worker)
    assert Employment.objects.get(pk=employment.pk).organisation_id == b.pk


def test_manual_merge_of_two_codes_is_refused(collect_org: Collect, worker: Any) -> None:
    a = collect_org(name="美佳便利店", credit_code=credit_code("MA2XN2JX")).record
    b = collect_org(
        name="美佳便利店", credit_code=credit_code("MA31ABCD"), point=shifted(XA, north_m=400)
    ).record
    with pytest.raises(ValidationError):
        record_merge(record_type=RecordType.ORGANISATION, survivor_id=a.pk, merged_id=b.pk, actor=worker)


def test_employment_of_the_same_pair_is_updated_not_duplicated(
    collect_org: Collect, collect_person: Collect
) -> None:
    org = collect_org().record
    person = collect_person(name="黄明").record
    first, created = employment_apply(person=person, organisation=org, role="厨师")
    again, created_again = employment_apply(person=person, organisation=org, role="店长")
    assert (
        created and not created_again and again.pk == first.pk and again.role == "店长" and again.version == 2
    )
    assert JournalEntry.objects.filter(record_type="employment", record_id=first.pk).count() == 2


def test_collection_costs_a_bounded_number_of_queries(
    collect_org: Collect, collect_building: Collect, django_assert_max_num_queries: Any
) -> None:
    building = collect_building().record
    for n in range(30):  # a dense street: candidates do not add queries
        collect_org(name=f"店铺{n}号", point=shifted(XA, east_m=n))
    with django_assert_max_num_queries(11):
        created = collect_org(name="新店", building_id=str(building.pk), credit_code=credit_code())
    assert created.created
    with django_assert_max_num_queries(14):
        merged = collect_org(name="新店", building_id=str(building.pk), credit_code=credit_code())
    assert merged.outcome == "merged"
