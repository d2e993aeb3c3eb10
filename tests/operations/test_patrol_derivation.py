"""A running patrol's derivation: asked for once while it is pending, never lost, and run by a real worker."""

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from apps.operations.models import Patrol
from apps.operations.services import patrol_derive
from apps.operations.services.derive import PatrolBusyError
from tests.live import celery_worker, wait_until
from tests.operations.conftest import send, walk

pytestmark = pytest.mark.django_db


def asks(worker: Any, patrol_id: uuid.UUID, points: list[dict[str, Any]], capture: Any, **data: Any) -> int:
    """How many derivations one chunk asks for after it commits."""
    with capture(execute=False) as callbacks:
        assert send(worker, patrol_id, points, **data).status == "applied"
    return len(callbacks)


def test_chunks_arriving_while_a_derivation_is_pending_ask_for_no_other(
    worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patrol_id = uuid.uuid4()
    capture = django_capture_on_commit_callbacks
    assert asks(worker, patrol_id, walk(100), capture, op="create") == 1
    # A device back in coverage sends the afternoon's chunks in a row: the pending derivation will read them all.
    assert asks(worker, patrol_id, walk(100, start_seq=100), capture) == 0
    assert asks(worker, patrol_id, walk(100, start_seq=200), capture) == 0
    assert patrol_derive(patrol_id=patrol_id) is True
    patrol = Patrol.objects.get(pk=patrol_id)
    assert (patrol.derived_version, patrol.fixes_used) == (patrol.version, 300)
    # Derived up to date: the next chunk asks again.
    assert asks(worker, patrol_id, walk(100, start_seq=300), capture) == 1


def test_a_derivation_pending_for_more_than_a_minute_is_asked_for_again(
    worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patrol_id = uuid.uuid4()
    capture = django_capture_on_commit_callbacks
    # From the real present: the patrol's creation time is the database's clock.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert asks(worker, patrol_id, walk(10), capture, op="create") == 1
        clock.shift(dt.timedelta(seconds=30))
        assert asks(worker, patrol_id, walk(10, start_seq=10), capture) == 0
        clock.shift(dt.timedelta(seconds=31))  # the first may have been lost
        assert asks(worker, patrol_id, walk(10, start_seq=20), capture) == 1


def test_an_ended_patrol_is_derived_in_its_last_chunk_and_asks_for_nothing(
    worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patrol_id = uuid.uuid4()
    capture = django_capture_on_commit_callbacks
    assert asks(worker, patrol_id, walk(10), capture, op="create") == 1
    last = walk(10, start_seq=10)
    assert asks(worker, patrol_id, last, capture, ended_at=last[-1]["t"]) == 0
    patrol = Patrol.objects.get(pk=patrol_id)
    assert (patrol.derived_version, patrol.fixes_used) == (patrol.version, 20)


@pytest.mark.django_db(transaction=True)
def test_a_derivation_meeting_a_chunk_being_written_waits_for_it(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    send(worker, patrol_id, walk(10), op="create")
    locked, release = threading.Event(), threading.Event()

    def chunk_in_progress() -> None:
        try:
            with transaction.atomic():
                Patrol.objects.select_for_update().get(pk=patrol_id)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=chunk_in_progress)
    holder.start()
    try:
        assert locked.wait(10)
        # Giving up here would leave the patrol stale: the chunk found this derivation pending and asked for none.
        with pytest.raises(PatrolBusyError):
            patrol_derive(patrol_id=patrol_id)
    finally:
        release.set()
        holder.join()
    assert patrol_derive(patrol_id=patrol_id) is True
    assert patrol_derive(patrol_id=uuid.uuid4()) is False  # no such patrol: nothing to wait for


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_derives_a_burst_of_chunks_up_to_the_last(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    with celery_worker():
        send(worker, patrol_id, walk(200), op="create")
        for first in range(200, 1000, 200):
            send(worker, patrol_id, walk(200, start_seq=first))

        def derived() -> bool:
            patrol = Patrol.objects.defer("track").get(pk=patrol_id)
            return patrol.derived_version == patrol.version and patrol.fixes_used == 1000

        assert wait_until(derived, timeout=60)
    patrol = Patrol.objects.get(pk=patrol_id)
    assert patrol.fix_count == 1000 and patrol.distance_m > 0
