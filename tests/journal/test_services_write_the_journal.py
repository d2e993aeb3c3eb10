"""Every change of a shareable record, and every change of scope, leaves a journal entry in its transaction."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from apps.accounts.models import User
from apps.journal.models import JournalEntry
from apps.registry.models import MergeEvent
from apps.registry.services import (
    ObservationMeta,
    building_update,
    record_unmerge,
    residence_collect,
    residence_end,
)
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_end
from tests.registry.conftest import XA, shifted

pytestmark = pytest.mark.django_db


def changes(record_id: Any) -> list[tuple[str, int]]:
    return list(
        JournalEntry.objects.filter(record_id=record_id).order_by("id").values_list("change", "version")
    )


def test_collect_merge_update_move_unmerge(
    collect_building: Callable[..., Any], worker_of: Callable[..., User], territory: Any
) -> None:
    worker = worker_of("HC-XY-XA-01", "HC-XY-XA-02")
    first = collect_building(collector=worker).record
    second = collect_building(collector=worker, point=shifted(XA, east_m=6), floors=4)
    assert changes(first.pk) == [("created", 1), ("updated", 2)]
    assert JournalEntry.objects.get(record_id=first.pk, change="updated").fields == ["floors"]

    meta = ObservationMeta(collector=worker, location=None)
    elsewhere = Point(118.0280, 24.4850, srid=4326)  # in HC-XY-XA-02
    moved = building_update(
        building=first, changes={"location": elsewhere}, expected_version=2, meta=meta, payload={}
    )
    entry = JournalEntry.objects.filter(record_id=first.pk).latest("id")
    assert (entry.change, entry.grid_id, entry.previous_grid_id) == (
        "moved", territory["HC-XY-XA-02"].pk, territory["HC-XY-XA-01"].pk)  # fmt: skip
    assert moved.version == 3

    record_unmerge(event=MergeEvent.objects.get(survivor_id=first.pk), actor=worker)
    assert changes(second.submitted_id)[-1] == ("unmerged", 2)


def test_residences_and_assignments_are_journalled(
    collect_building: Callable[..., Any], collect_person: Callable[..., Any], worker: User
) -> None:
    building = collect_building().record
    person = collect_person(name="王芳").record
    residence, _ = residence_collect(person=person, building=building, room="1", relation="tenant")
    residence_end(residence=residence, until=today())
    assert changes(residence.pk) == [("created", 1), ("updated", 2)]
    assignment = worker.grid_assignments.get()
    assert changes(assignment.pk) == [("scope", 0)]
    grid_assignment_end(assignment=assignment, valid_to=today())  # the day it began: ended at once
    assert changes(assignment.pk) == [("scope", 0), ("scope", 0)]


def test_a_rolled_back_change_leaves_no_entry(collect_building: Callable[..., Any]) -> None:
    before = JournalEntry.objects.count()

    def collect_then_fail() -> None:
        with transaction.atomic():
            collect_building()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        collect_then_fail()
    assert JournalEntry.objects.count() == before
