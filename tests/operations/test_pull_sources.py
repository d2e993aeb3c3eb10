"""The pull's readers of operations records: envelopes of ids in one query each, scopes, and journal entries."""

import uuid
from typing import Any

import pytest

from apps.journal.models import JournalEntry
from apps.operations.models import Patrol, Task
from apps.operations.pull import PULL_SOURCES
from apps.operations.services import patrol_point_create, task_create, visit_apply
from tests.operations.conftest import ORIGIN, START, send, walk

pytestmark = pytest.mark.django_db


def test_every_change_is_journalled_with_its_type_and_version(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    send(worker, patrol_id, walk(10), op="create")
    send(worker, patrol_id, walk(10, start_seq=10), ended_at=walk(20)[-1]["t"])
    entries = list(
        JournalEntry.objects.filter(record_id=patrol_id)
        .order_by("id")
        .values_list("record_type", "version", "change")
    )
    assert entries == [("patrol", 1, "created"), ("patrol", 2, "updated")]


def test_envelopes_of_each_type(worker: Any, person_in: Any, dispatcher_of: Any,
                                django_assert_max_num_queries: Any) -> None:  # fmt: skip
    from django.contrib.gis.geos import Point

    patrol_id = uuid.uuid4()
    points = walk(100)
    send(worker, patrol_id, points, op="create", ended_at=points[-1]["t"])
    dispatcher = dispatcher_of("HC-XY")
    task = task_create(actor=dispatcher, kind="visit", title="走访", due=START.date(), subject_type="person",
                       subject_id=person_in().pk)  # fmt: skip
    point = patrol_point_create(actor=dispatcher, grid_code="HC-XY-XA-01", name="祠堂",
                                location=Point(*ORIGIN, srid=4326), methods=["qr"])  # fmt: skip
    visit = visit_apply(principal=worker, record_id=uuid.uuid4(), op="create",
                        data={"started_at": START.isoformat(), "outcome": "done", "task_id": str(task.pk)})  # fmt: skip
    codes: dict[str, str] = {}
    for kind, record_id in (
        ("patrol", patrol_id),
        ("task", task.pk),
        ("patrol_point", point.pk),
        ("visit", visit.id),
    ):
        source = PULL_SOURCES[kind]
        assert source.scope(worker).filter(pk=record_id).exists()
        with django_assert_max_num_queries(2):
            envelopes = source.envelopes([str(record_id), str(uuid.uuid4())], codes)
        assert list(envelopes) == [str(record_id)]
        envelope = envelopes[str(record_id)]
        assert (envelope["type"], envelope["deleted"]) == (kind, False)
    patrol = PULL_SOURCES["patrol"].envelopes([str(patrol_id)], codes)[str(patrol_id)]
    assert patrol["geometry"]["type"] == "LineString"
    assert len(patrol["data"]["track_times"]) == len(patrol["geometry"]["coordinates"])
    assert patrol["data"]["grid_codes"] == ["HC-XY-XA-01"]
    assert PULL_SOURCES["task"].envelopes([str(task.pk)], codes)[str(task.pk)]["data"]["status"] == "done"
    assert Task.objects.get().version == 2 and Patrol.objects.get().version == 1


def test_a_device_pulls_only_its_users_own_patrols(worker: Any, worker_of: Any) -> None:
    send(worker, uuid.uuid4(), walk(5), op="create")
    colleague = worker_of("HC-XY-XA-01")
    assert not PULL_SOURCES["patrol"].scope(colleague).exists()
    assert PULL_SOURCES["patrol"].scope(worker).count() == 1
