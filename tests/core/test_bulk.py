"""``bulk_insert``: every kind of column a sync batch writes comes back as ``bulk_create`` would store it."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.bulk import bulk_insert, insert_together
from apps.core.ids import uuid7
from apps.journal.models import JournalEntry
from apps.registry.models import Building, Observation, Outcome, RecordType
from tests.registry.conftest import XA, worker

pytestmark = pytest.mark.django_db
__all__ = ["worker"]


def test_geometries_json_arrays_and_database_defaults(worker: Any, territory: Any) -> None:
    grid = territory["HC-XY-XA-01"]
    square = Polygon(
        ((XA[0], XA[1]), (XA[0] + 1e-4, XA[1]), (XA[0] + 1e-4, XA[1] + 1e-4), (XA[0], XA[1])), srid=4326
    )
    buildings = [
        Building(id=uuid7(), grid_id=grid.pk, location=Point(*XA, srid=4326), cell="8a40", address=f"新垵村{n}号",
                 address_norm=f"新垵村{n}号", footprint=square if n == 0 else None, floors=n or None,
                 alternatives={"name": [{"value": "林宅", "observation": "o"}]} if n == 1 else {})
        for n in range(3)
    ]  # fmt: skip
    entries = [
        JournalEntry(record_type="building", record_id=b.pk, change="created", version=1, grid_id=grid.pk,
                     fields=["address", "name"] if n else [])
        for n, b in enumerate(buildings)
    ]  # fmt: skip
    observation = Observation(
        id=uuid7(), record_type="building", record_id=buildings[0].pk, collector=worker, device_id="p",
        collected_at=dt.datetime(2026, 11, 20, 2, 3, tzinfo=dt.UTC), location=None, payload_sealed="k.x",
        outcome=Outcome.CREATED, reasons=["same address", "8 m apart"],
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(buildings)
        bulk_insert(entries)
        bulk_insert([observation])
        bulk_insert([])
    assert len(queries) == 3
    stored = {b.pk: b for b in Building.objects.filter(pk__in=[b.pk for b in buildings])}
    first, second, third = (stored[b.pk] for b in buildings)
    assert first.footprint is not None and first.footprint.equals_exact(square, 1e-9)
    assert first.location.equals_exact(Point(*XA, srid=4326), 1e-9) and first.created_at is not None
    assert (second.floors, second.alternatives["name"][0]["value"], third.footprint) == (1, "林宅", None)
    journal = list(JournalEntry.objects.filter(record_id__in=stored).order_by("id"))
    assert [e.fields for e in journal] == [[], ["address", "name"], ["address", "name"]]
    assert all(e.txid > 0 and e.at is not None for e in journal)  # left to the database's defaults
    kept = Observation.objects.get(pk=observation.pk)
    assert (kept.reasons, kept.location, kept.collected_at) == (
        observation.reasons,
        None,
        observation.collected_at,
    )


def test_values_not_of_the_column_type_are_prepared_as_save_would(worker: Any, territory: Any) -> None:
    """Values already of a column's type go as they are; the rest through the field, as ``save`` would."""
    grid = territory["HC-XY-XA-01"]
    naive = dt.datetime(2026, 11, 20, 10, 3)  # noqa: DTZ001  # a naive time is read in the current time zone
    as_text = uuid7()
    observation = Observation(
        id=str(as_text), record_type=RecordType.BUILDING, record_id=uuid7(), collector=worker, device_id="p",
        collected_at=naive, location=Point(*XA, srid=4326), accuracy_m=8, payload_sealed="k.x",
        outcome=Outcome.MERGED, score="0.75", reasons=[],
    )  # fmt: skip
    building = Building(id=uuid7(), grid_id=str(grid.pk), location=Point(*XA, srid=4326), cell="8a40",
                        address="新垵村1号", address_norm="新垵村1号", floors=True)  # fmt: skip
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        bulk_insert([observation])
    bulk_insert([building])
    kept = Observation.objects.get(pk=as_text)
    assert kept.collected_at == timezone.make_aware(naive)
    assert (kept.record_type, kept.outcome, kept.score, kept.accuracy_m) == ("building", "merged", 0.75, 8.0)
    stored = Building.objects.get(pk=building.pk)
    assert (stored.grid_id, stored.floors) == (grid.pk, 1)


def test_insert_together_writes_every_group_in_one_statement(worker: Any, territory: Any) -> None:
    grid = territory["HC-XY-XA-01"]
    building = Building(id=uuid7(), grid_id=grid.pk, location=Point(*XA, srid=4326), cell="8a40",
                        address="新垵村9号", address_norm="新垵村9号")  # fmt: skip
    entries = [
        JournalEntry(record_type="building", record_id=building.pk, change=change, version=1, grid_id=grid.pk)
        for change in ("created", "updated")
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_together([building], [], entries)
        insert_together([], [])  # nothing: no statement
    assert len(queries) == 1 and queries[0]["sql"].startswith("WITH i0 AS (INSERT INTO")
    assert Building.objects.get(pk=building.pk).address == "新垵村9号"
    journal = list(JournalEntry.objects.filter(record_id=building.pk).order_by("id"))
    assert [e.change for e in journal] == ["created", "updated"]
    assert all(e.txid > 0 and e.at is not None for e in journal)  # database defaults, as alone


def test_insert_together_is_all_or_nothing(territory: Any) -> None:
    grid = territory["HC-XY-XA-01"]
    taken = Building(id=uuid7(), grid_id=grid.pk, location=Point(*XA, srid=4326), cell="8a40", address="甲")
    bulk_insert([taken])
    entry = JournalEntry(record_type="building", record_id=taken.pk, change="updated", version=2)
    again = Building(id=taken.pk, grid_id=grid.pk, location=Point(*XA, srid=4326), cell="8a40", address="乙")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([entry], [again])
    assert not JournalEntry.objects.filter(record_id=taken.pk, version=2).exists()


def test_a_statement_of_many_parameters_is_converted_once(worker: Any, territory: Any) -> None:
    # psycopg caches placeholder conversion only up to 4,096 characters and 50 parameters; gridapi raises both
    # (``apps.core.bulk``), or a report's one statement (five tables' columns) was converted on every report.
    from psycopg import _queries

    grid = territory["HC-XY-XA-01"]

    def write() -> int:
        buildings = [
            Building(id=uuid7(), grid_id=grid.pk, location=Point(*XA, srid=4326), cell="8a40", address=f"新垵村{n}号",
                     address_norm=f"新垵村{n}号")
            for n in range(3)
        ]  # fmt: skip
        entry = JournalEntry(
            record_type="building", record_id=buildings[0].pk, change="created", grid_id=grid.pk
        )
        with CaptureQueriesContext(connection) as queries:
            insert_together([buildings[0]], [buildings[1]], [buildings[2]], [entry])
        return str(queries[0]["sql"]).count("::")

    assert write() > 50  # beyond psycopg's own limit
    before = _queries._query2pg.cache_info()
    write()
    after = _queries._query2pg.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
