"""Undoing a merge undoes what the collection did to the person's homes: a move's ended homes reopen, the home the
collection brought goes back to the collected record; an end edited since is kept."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.journal.models import JournalEntry
from apps.registry.models import MergeEvent, Person, Residence
from apps.registry.services import record_unmerge, residence_collect, residence_update
from tests.registry.conftest import HH

pytestmark = pytest.mark.django_db
WHO = {"name": "陈伟", "birth_date": dt.date(1990, 3, 7), "phone": "13912345678"}


@pytest.fixture
def worker_b(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-SY-HH-01")


@pytest.fixture
def moved(
    api_client: Callable[[Any], APIClient], worker_b: User, collect_person: Any, collect_building: Any
) -> dict[str, Any]:
    """陈伟 lived in 新垵村 (grid A); 海虹社区's worker collects him with a home in grid B: he has moved. Matched on
    name, birth date and phone (a merge decided by one ID number is never undone: the number decides alone)."""
    home_a = collect_building(address="新垵村529号").record
    person = collect_person(**WHO).record
    old_home, _ = residence_collect(person=person, building=home_a, room="1", relation="tenant")
    home_b = collect_building(point=HH, address="海虹社区8号", collector=worker_b).record
    body = {**WHO, "birth_date": "1990-03-07", "residence": {"building_id": str(home_b.pk), "room": "3"}}
    response = api_client(worker_b).post("/api/v1/people/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == str(person.pk)
    old_home.refresh_from_db()
    assert old_home.until is not None  # 人走 in A
    return {"person": person, "old_home": old_home, "home_a": home_a, "home_b": home_b}


def test_undoing_a_move_reopens_the_homes_it_ended(moved: dict[str, Any], dispatcher_of: Any) -> None:
    person, old_home = moved["person"], moved["old_home"]
    event = MergeEvent.objects.get(survivor_id=person.pk)
    new_home = Residence.objects.get(building=moved["home_b"])
    record_unmerge(event=event, actor=dispatcher_of("350205"))
    person.refresh_from_db()
    assert person.grid_id == moved["home_a"].grid_id  # back where it was
    old_home.refresh_from_db()
    assert old_home.until is None and old_home.person_id == person.pk  # 人走 undone
    entry = JournalEntry.objects.filter(record_id=old_home.pk).latest("id")
    assert (entry.fields, entry.version, entry.grid_id) == (
        ["until"],
        old_home.version,
        moved["home_a"].grid_id,
    )
    new_home.refresh_from_db()
    collected = Person.objects.get(pk=event.merged_id)
    assert collected.merged_into_id is None and new_home.person_id == collected.pk  # the home it brought
    assert new_home.until is None and new_home.building_id == moved["home_b"].pk
    assert list(Residence.objects.filter(person=person).values_list("pk", flat=True)) == [old_home.pk]


def test_an_end_edited_since_the_move_is_kept(moved: dict[str, Any], dispatcher_of: Any) -> None:
    person, old_home = moved["person"], moved["old_home"]
    corrected = old_home.until.replace(day=1)
    residence_update(residence=old_home, changes={"until": corrected})
    record_unmerge(event=MergeEvent.objects.get(survivor_id=person.pk), actor=dispatcher_of("350205"))
    old_home.refresh_from_db()
    assert old_home.until == corrected


def test_undoing_a_merge_in_scope_gives_the_collected_record_its_new_home(
    collect_person: Any, collect_building: Any, worker: User
) -> None:
    person = collect_person(**{**WHO, "name": "王芳"}).record
    home = collect_building(address="新垵村530号").record
    again = collect_person(**{**WHO, "name": "王芳"}, residence={"building_id": home.pk, "room": "2"})
    assert again.outcome == "merged" and again.record.pk == person.pk
    assert Residence.objects.get().person_id == person.pk
    record_unmerge(event=MergeEvent.objects.get(survivor_id=person.pk), actor=worker)
    assert Residence.objects.get().person_id == again.submitted_id
    assert not Residence.objects.filter(person=person).exists()
