"""Races on what must stay unique: a client-made record id sent by two devices at once, and an ID number
given to a person while a collection of that number runs. One wins; the other is refused as invalid input
(a rejected mutation, a 400), never a constraint violation."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from rest_framework.exceptions import ValidationError

from apps.core.ids import uuid7
from apps.registry.models import Building, Person
from apps.registry.services import ObservationMeta, building_collect, person_collect, person_update
from apps.registry.services import buildings as building_services
from apps.registry.services import people as people_services
from tests.registry.conftest import XA, id_number, shifted

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(*steps: Callable[[], Any]) -> list[Any]:
    """Run each step in its own thread (and connection); what each returned or raised."""
    outcomes: list[Any] = [None] * len(steps)

    def run(i: int) -> None:
        try:
            outcomes[i] = steps[i]()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_one_client_id_sent_by_two_devices_at_once(
    territory: Any, worker_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = worker_of("HC-XY-XA-01")
    checked = threading.Event()
    original = building_services.check_new_id

    def check_then_linger(**kwargs: Any) -> None:
        original(**kwargs)
        if threading.current_thread().name == "first":
            checked.set()
            time.sleep(1.0)  # the other device's collection runs meanwhile

    monkeypatch.setattr(building_services, "check_new_id", check_then_linger)
    shared_id = uuid7()

    def collect(point: tuple[float, float], address: str, *, first: bool) -> Callable[[], Any]:
        def step() -> Any:
            if first:
                threading.current_thread().name = "first"
            else:
                checked.wait(10)
            meta = ObservationMeta(
                collector=worker, location=Point(*point, srid=4326), submitted_id=shared_id
            )
            return building_collect(data={"address": address}, meta=meta, payload={"address": address})

        return step

    outcomes = _in_threads(
        collect(XA, "新垵村1号", first=True), collect(shifted(XA, north_m=3000), "新垵村900号", first=False)
    )
    assert type(outcomes[1]) is ValidationError and "id" in outcomes[1].detail, outcomes
    assert outcomes[0].created and Building.objects.filter(pk=shared_id).count() == 1


def test_an_id_number_given_while_a_collection_of_it_runs(
    territory: Any, worker_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = worker_of("HC-XY-XA-01")
    location = Point(*XA, srid=4326)
    existing = person_collect(data={"name": "王芳"}, meta=ObservationMeta(collector=worker, location=location),
                              payload={})  # fmt: skip
    number = id_number(seq="555")
    checked, collected = threading.Event(), threading.Event()
    original = people_services.save_update

    def linger_then_save(**kwargs: Any) -> None:
        checked.set()  # the update has checked that nobody holds the number
        collected.wait(2)
        original(**kwargs)

    monkeypatch.setattr(people_services, "save_update", linger_then_save)

    def update() -> Any:
        return person_update(person=existing.record, changes={"id_number": number}, expected_version=1,
                             meta=ObservationMeta(collector=worker), payload={})  # fmt: skip

    def collect() -> Any:
        checked.wait(10)
        try:
            return person_collect(data={"name": "李强", "id_number": number},
                                  meta=ObservationMeta(collector=worker, location=location), payload={})  # fmt: skip
        finally:
            collected.set()

    updated, collected_outcome = _in_threads(update, collect)
    assert isinstance(updated, Person) and updated.id_number_index, updated
    # The collection waited for the update and found the number's holder: the same person.
    assert collected_outcome.outcome == "merged" and collected_outcome.record.pk == existing.record.pk
    assert Person.objects.filter(merged_into__isnull=True).exclude(id_number_index="").count() == 1
