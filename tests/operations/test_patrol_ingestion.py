"""Patrol chunks: stored once by (patrol, seq) whatever the order, repetition or concurrency; bad input refused."""

import random
import re
import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from apps.operations.models import Patrol, PatrolFix
from apps.operations.services import patrol_apply
from tests.operations.conftest import START, send, walk

pytestmark = pytest.mark.django_db


def stored(patrol_id: uuid.UUID) -> list[tuple[int, Any]]:
    return list(PatrolFix.objects.filter(patrol_id=patrol_id).order_by("seq").values_list("seq", "t"))


def test_chunks_sent_twice_and_out_of_order_are_stored_once_and_in_order(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    points = walk(600)
    chunks = [points[i : i + 100] for i in range(0, 600, 100)]
    assert send(worker, patrol_id, chunks[3], op="create").status == "applied"
    for index in (5, 1, 0, 3, 4, 1, 2, 5):
        outcome = send(worker, patrol_id, chunks[index])
        assert outcome.status == "applied", outcome.errors
    rows = stored(patrol_id)
    assert [seq for seq, _ in rows] == list(range(600))
    times = [t for _, t in rows]
    assert times == sorted(times)  # seq order is time order in this walk
    assert Patrol.objects.get(pk=patrol_id).fix_count == 600


def test_a_chunk_sent_again_changes_nothing(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    first = send(worker, patrol_id, walk(50), op="create")
    again = send(worker, patrol_id, walk(50))
    assert (again.status, again.version) == ("applied", first.version)
    assert len(stored(patrol_id)) == 50


@pytest.mark.django_db(transaction=True)
def test_chunks_from_concurrent_requests_are_stored_once(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    points = walk(800)
    chunks = [points[i : i + 100] for i in range(0, 800, 100)]
    # The first chunk to arrive may be any one of them, each carrying started_at: the patrol is made once.
    work = [chunks[i] for i in random.Random(7).sample(range(8), 8)] * 2
    barrier = threading.Barrier(len(work))
    outcomes: list[Any] = [None] * len(work)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = send(worker, patrol_id, work[index], op="create")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {o.status for o in outcomes} == {"applied"}, [o.errors for o in outcomes]
    assert [seq for seq, _ in stored(patrol_id)] == list(range(800))
    assert Patrol.objects.get(pk=patrol_id).fix_count == 800


def test_a_chunk_is_one_insert_and_a_bounded_number_of_queries(
    worker: Any, django_assert_num_queries: Any
) -> None:
    patrol_id = uuid.uuid4()
    send(worker, patrol_id, walk(10), op="create")
    # The patrol locked with its main grid, the fixes, the patrol's counters, the journal (and the savepoint).
    with django_assert_num_queries(6) as queries:
        outcome = send(worker, patrol_id, walk(500, start_seq=10))
    assert outcome.status == "applied"
    assert len(stored(patrol_id)) == 510
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO operations_patrolfix" in q["sql"]]
    assert len(inserts) == 1
    # The derived track of a long patrol (thousands of vertices) is not loaded to append a chunk.
    assert not any(re.search(r'\b"?(track|path)"?\s*(,|=|FROM)', q["sql"]) for q in queries.captured_queries)


def test_a_bad_point_rejects_the_chunk_with_field_errors_and_stores_nothing(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    points = walk(10)
    points[3]["lat"] = 200
    points[5]["seq"] = points[4]["seq"]
    outcome = send(worker, patrol_id, points, op="create")
    assert outcome.status == "rejected"
    assert set(outcome.errors["data"]["points"]) == {"3", "5"}
    assert not Patrol.objects.filter(pk=patrol_id).exists()


def test_more_than_two_thousand_points_are_refused(worker: Any) -> None:
    outcome = send(worker, uuid.uuid4(), walk(2001), op="create")
    assert outcome.status == "rejected"
    assert "points" in outcome.errors["data"]


def test_a_chunk_of_another_workers_patrol_is_refused(worker: Any, worker_of: Any) -> None:
    patrol_id = uuid.uuid4()
    send(worker, patrol_id, walk(10), op="create")
    outcome = send(worker_of("HC-XY-XA-01"), patrol_id, walk(10, start_seq=10))
    assert outcome.status == "rejected"
    assert len(stored(patrol_id)) == 10


def test_a_grid_outside_the_workers_scope_is_refused(worker: Any) -> None:
    outcome = send(worker, uuid.uuid4(), walk(5), op="create", grid_codes=["HC-SY-HH-01"])
    assert outcome.status == "rejected"
    assert "grid_codes" in outcome.errors["data"]


def test_an_update_before_any_start_is_refused_and_patrols_are_not_deleted(worker: Any) -> None:
    assert send(worker, uuid.uuid4(), walk(5)).status == "rejected"
    deleted = patrol_apply(principal=worker, record_id=uuid.uuid4(), op="delete", data={})
    assert "op" in deleted.errors


def test_the_patrol_gets_the_workers_grids_when_none_are_named(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    send(worker, patrol_id, walk(5), op="create", started_at=START.isoformat())
    assert list(Patrol.objects.get(pk=patrol_id).grids.values_list("code", flat=True)) == ["HC-XY-XA-01"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("provider", ["gps"]), ("provider", {"a": 1}), ("mock", "yes"), ("t", 5), ("seq", True), ("accuracy_m", "x"),
     ("lon", None), ("speed_mps", float("nan"))],
)  # fmt: skip
def test_a_point_field_of_the_wrong_type_is_a_field_error(worker: Any, name: str, value: Any) -> None:
    points = walk(2)
    points[1][name] = value
    outcome = send(worker, uuid.uuid4(), points, op="create")
    assert outcome.status == "rejected"
    assert "1" in outcome.errors["data"]["points"]


@pytest.mark.parametrize(
    "t", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00", "1990-01-01T00:00:00+08:00"]
)
def test_a_fix_at_an_implausible_time_is_a_field_error_and_nothing_is_stored(worker: Any, t: str) -> None:
    patrol_id = uuid.uuid4()
    points = walk(3)
    points[1]["t"] = t
    outcome = send(worker, patrol_id, points, op="create")
    assert outcome.status == "rejected"
    assert set(outcome.errors["data"]["points"]) == {"1"}
    assert "t" in outcome.errors["data"]["points"]["1"]
    assert not PatrolFix.objects.filter(patrol_id=patrol_id).exists()
