"""A reader of the journal never skips a committed change, however transactions interleave and commit."""

import random
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction

from apps.journal.models import JournalEntry
from apps.journal.selectors import Position, entries_after, journal_horizon
from apps.journal.services import journal_record
from apps.registry.models import Building

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

WRITERS = 8
TRANSACTIONS_PER_WRITER = 12
RECORDS = 40


def make_buildings(territory: Any) -> list[uuid.UUID]:
    grid = territory["HC-XY-XA-01"]
    rows = [
        Building(
            address=f"新垵村{n}号",
            address_norm=f"新垵村{n}号",
            grid_id=grid.pk,
            location="POINT(118.023 24.485)",
        )
        for n in range(RECORDS)
    ]
    return [b.pk for b in Building.objects.bulk_create(rows)]


def writer(ids: list[uuid.UUID], seed: int, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(TRANSACTIONS_PER_WRITER):
            with transaction.atomic():
                for record_id in rng.sample(ids, rng.randint(1, 3)):
                    building = Building.objects.select_for_update().get(pk=record_id)
                    building.version += 1
                    building.save(update_fields=["version"])
                    journal_record(
                        record_type="building",
                        record_id=building.pk,
                        change="updated",
                        version=building.version,
                    )
                # Hold some transactions open for seconds: they commit long after later ones.
                time.sleep(rng.uniform(1.0, 2.5) if rng.random() < 0.15 else rng.uniform(0, 0.05))
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        connection.close()


def test_reader_state_equals_database_state(territory: Any) -> None:
    ids = make_buildings(territory)
    seen: dict[uuid.UUID, int] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    reads = {"pulls": 0}

    def reader() -> None:
        position = Position.start()
        try:
            while True:
                finished = stop.is_set()  # read before pulling: a last full pass happens after writers stop
                horizon = journal_horizon()
                batch = list(entries_after(position, horizon=horizon, limit=50))
                reads["pulls"] += 1
                for entry in batch:
                    seen[entry.record_id] = max(seen.get(entry.record_id, 0), entry.version)
                    position = Position(entry.txid, entry.id)
                if finished and not batch:
                    return
                time.sleep(0.01)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(ids, seed, errors)) for seed in range(WRITERS)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reading.join(timeout=60)
    assert not errors, errors
    assert not reading.is_alive()

    database = dict(Building.objects.filter(pk__in=ids, version__gt=1).values_list("pk", "version"))
    assert seen == database
    assert JournalEntry.objects.count() == sum(v - 1 for v in database.values())
    assert reads["pulls"] > 10  # the reader really pulled while the writers wrote


def test_entries_of_an_open_transaction_wait_below_the_horizon(territory: Any) -> None:
    """While a transaction is open, readers stop before it; nothing after it is handed out early."""
    ids = make_buildings(territory)
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        with transaction.atomic():
            journal_record(record_type="building", record_id=ids[0], change="updated", version=2)
            started.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait(10)
    with transaction.atomic():
        later = journal_record(record_type="building", record_id=ids[1], change="updated", version=2)
    horizon = journal_horizon()
    assert later.pk not in [e.pk for e in entries_after(Position.start(), horizon=horizon, limit=100)]
    release.set()
    thread.join()
    visible = [e.record_id for e in entries_after(Position.start(), horizon=journal_horizon(), limit=100)]
    assert visible == [ids[0], ids[1]]
