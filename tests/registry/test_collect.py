"""Collect services: one canonical record per real thing, explained."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from rest_framework.exceptions import ValidationError

from apps.registry.models import Building, Observation, Person, RecordAlias, Residence, ReviewItem
from tests.registry.conftest import XA, id_number, shifted

pytestmark = pytest.mark.django_db


def test_first_collection_creates(collect_building: Callable[..., Any]) -> None:
    outcome = collect_building(floors=5, use="rental")
    assert outcome.outcome == "created"
    building = outcome.record
    assert (building.grid.code, building.address_norm, building.house_number, building.version) == (
        "HC-XY-XA-01", "新垵村529号", "529", 1)  # fmt: skip
    assert RecordAlias.objects.get(alias=building.pk).canonical_id == building.pk
    assert Observation.objects.get(record_id=building.pk).outcome == "created"


def test_same_building_written_differently_nearby_merges(collect_building: Callable[..., Any]) -> None:
    first = collect_building(floors=5).record
    again = collect_building(
        point=shifted(XA, east_m=12, north_m=-9), address="海沧区新阳街道新垵村五二九號", use="rental"
    )
    assert again.outcome == "merged"
    assert again.record.pk == first.pk
    assert again.match.score >= 0.85 and "same address" in again.match.reasons
    first.refresh_from_db()
    assert (first.use, first.floors, first.version) == ("rental", 5, 2)  # filled in, kept
    assert Building.objects.filter(merged_into=first).count() == 1
    assert RecordAlias.objects.get(alias=again.submitted_id).canonical_id == first.pk


def test_differing_values_are_kept_as_alternatives(collect_building: Callable[..., Any]) -> None:
    first = collect_building(floors=5).record
    collect_building(floors=6)
    first.refresh_from_db()
    assert first.floors == 5
    assert [alt["value"] for alt in first.alternatives["floors"]] == [6]


def test_different_house_number_never_merges(collect_building: Callable[..., Any]) -> None:
    first = collect_building().record
    other = collect_building(point=shifted(XA, east_m=3), address="新垵村531号")
    assert other.outcome == "created" and other.record.pk != first.pk


def test_far_apart_same_address_is_new(collect_building: Callable[..., Any]) -> None:
    collect_building()
    far = collect_building(point=shifted(XA, north_m=300))
    assert far.outcome == "created"


def test_standard_address_code_decides_alone(collect_building: Callable[..., Any]) -> None:
    first = collect_building(address_code="350205001001529").record
    again = collect_building(
        point=shifted(XA, north_m=150), address="新垵村某楼", address_code="350205001001529"
    )
    assert again.outcome == "merged" and again.record.pk == first.pk
    assert again.match.reasons == ["same standard address code"]


def test_uncertain_match_creates_and_queues_review(collect_building: Callable[..., Any]) -> None:
    first = collect_building(address="新垵村529号").record
    maybe = collect_building(point=shifted(XA, east_m=40), address="新垵村529号旁")
    assert maybe.outcome == "created"
    assert maybe.review is not None
    item = ReviewItem.objects.get()
    assert (item.record_id, item.candidate_id, item.status) == (maybe.record.pk, first.pk, "open")


def test_outside_every_grid_or_outside_workers_grids_is_rejected(
    collect_building: Callable[..., Any],
) -> None:
    with pytest.raises(ValidationError) as outside:
        collect_building(point=(116.4, 39.9))
    assert "location" in outside.value.detail  # type: ignore[operator]
    with translation.override("en"), pytest.raises(ValidationError) as elsewhere:
        collect_building(point=(118.0550, 24.4350))  # 海虹社区: not this worker's grid
    assert "serve" in str(elsewhere.value.detail)


def test_same_id_number_is_the_same_person(collect_person: Callable[..., Any]) -> None:
    number = id_number()
    first = collect_person(name="陈伟", id_number=number, phone="13812345678").record
    again = collect_person(name="陳偉", id_number=number, point=shifted(XA, north_m=200))
    assert again.outcome == "merged" and again.record.pk == first.pk
    assert again.match.reasons == ["same ID number"]


def test_two_valid_id_numbers_are_never_merged(collect_person: Callable[..., Any]) -> None:
    a = collect_person(name="陈伟", id_number=id_number(seq="123"), phone="13812345678").record
    b = collect_person(name="陈伟", id_number=id_number(seq="125"), phone="13812345678")
    assert b.outcome == "created" and b.record.pk != a.pk
    assert not ReviewItem.objects.exists()


def test_person_without_number_matches_on_pinyin_birth_and_phone(collect_person: Callable[..., Any]) -> None:
    born = dt.date(1985, 4, 2)
    first = collect_person(name="林志强", birth_date=born, gender="male", phone="13900001111").record
    again = collect_person(name="林志強", birth_date=born, gender="male", phone="13900001111")
    assert again.outcome == "merged" and again.record.pk == first.pk
    homophone = collect_person(name="林智强", birth_date=born, gender="male")
    assert homophone.outcome == "created"
    assert homophone.review is not None  # proposed, not merged


def test_collecting_with_residence_moves_the_person_in(
    collect_person: Callable[..., Any], collect_building: Callable[..., Any]
) -> None:
    building = collect_building().record
    home = {"building_id": building.pk, "room": "302", "relation": "tenant"}
    person = collect_person(point=None, name="王芳", phone="13900002222", residence=home).record
    residence = Residence.objects.get(person=person)
    assert (residence.building_id, residence.room, residence.until) == (building.pk, "302", None)
    assert person.grid_id == building.grid_id
    again = collect_person(point=None, name="王芳", phone="13900002222", residence=home)
    assert again.outcome == "merged"  # same name, phone and home
    assert Residence.objects.count() == 1


def test_personal_numbers_are_sealed_at_rest(collect_person: Callable[..., Any]) -> None:
    number = id_number()
    person = collect_person(name="陈伟", id_number=number, phone="13812345678").record
    row = Person.objects.filter(pk=person.pk).values().get()
    assert number not in str(row) and "13812345678" not in str(row)
    assert row["pii_key_id"] == "t2"
    observation = Observation.objects.filter(record_id=person.pk).values().get()
    assert number not in str(observation)


def test_same_id_number_decides_even_among_many_sharing_a_phone(collect_person: Callable[..., Any]) -> None:
    # Floating tenants are often registered with their landlord's phone: more people share that key than the
    # fuzzy candidates read per collection. The ID number still decides.
    landlord_phone = "13900009999"
    for seq in range(60):
        collect_person(
            name=f"租户{seq}", phone=landlord_phone, birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=seq)
        )
    number = id_number(seq="321")
    person = collect_person(name="赵敏", id_number=number, phone="13700001234").record
    again = collect_person(name="赵敏", id_number=number, phone=landlord_phone)
    assert again.outcome == "merged" and again.record.pk == person.pk
    assert again.match.reasons == ["same ID number"]
    assert Person.objects.filter(merged_into__isnull=True).count() == 61
