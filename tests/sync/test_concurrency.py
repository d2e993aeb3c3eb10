"""Concurrency of the protocol against real processes and threads."""

import random
import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from django.db import connection, transaction

from apps.accounts.services import device_token_issue
from apps.registry.models import Building
from apps.registry.services import ObservationMeta, building_update
from apps.sync.selectors import sync_pull
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import gunicorn
from tests.sync.conftest import XA, device_tokens, mutation, shifted

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_the_same_batch_twenty_times_at_once_is_applied_once(territory: Any) -> None:
    worker = UserFactory()
    grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
    token = device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id="p").secret
    batch = {"device_id": "p", "mutations": [
        mutation("building", address=f"新垵村{n}号", point=shifted(XA, north_m=100 * n)) for n in range(5)
    ] + [mutation("person", name="黄明", point=XA)]}  # fmt: skip
    barrier = threading.Barrier(20)
    bodies: list[bytes] = []

    def send() -> None:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            response = client.post(f"{base}/api/v1/sync/push/", json=batch)
            assert response.status_code == 200, response.text
            bodies.append(response.content)

    with gunicorn(workers=4, threads=8) as base:
        threads = [threading.Thread(target=send) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(bodies) == 20 and len(set(bodies)) == 1
    assert Counter(r["status"] for r in httpx.Response(200, content=bodies[0]).json()["results"]) == {
        "applied": 6
    }
    assert Building.objects.count() == 5


def test_pulling_while_eight_writers_commit_out_of_order_misses_nothing(territory: Any) -> None:
    worker = UserFactory()
    grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
    grid = territory["HC-XY-XA-01"]
    ids = [b.pk for b in Building.objects.bulk_create(
        Building(address=f"新垵村{n}号", address_norm=f"新垵村{n}号", grid_id=grid.pk, location=f"POINT({XA[0]} {XA[1]})")
        for n in range(30)
    )]  # fmt: skip
    errors: list[BaseException] = []
    stop = threading.Event()
    state: dict[str, int] = {}

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(10):
                with transaction.atomic():
                    building = Building.objects.select_for_update().get(pk=rng.choice(ids))
                    building_update(
                        building=building, changes={"floors": rng.randint(1, 30)}, expected_version=building.version,
                        meta=ObservationMeta(collector=worker), payload={},
                    )  # fmt: skip
                    time.sleep(rng.uniform(1.0, 2.0) if rng.random() < 0.15 else rng.uniform(0, 0.05))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        cursor = None
        try:
            while True:
                finished = stop.is_set()
                page = sync_pull(user=worker, token=cursor, limit=7, types=["building"])
                for change in page["changes"]:
                    state[change["id"]] = change.get("version", 0)
                cursor = page["cursor"]
                if finished and not page["has_more"] and not page["changes"]:
                    return
                time.sleep(0.02)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    reading = threading.Thread(target=reader)
    reading.start()
    writers = [threading.Thread(target=writer, args=(seed,)) for seed in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reading.join(timeout=120)
    assert not errors, errors
    database = {str(pk): version for pk, version in Building.objects.values_list("pk", "version")}
    assert state == database


def test_eight_devices_collecting_the_same_buildings_at_once_make_one_of_each(territory: Any) -> None:
    """Different batches (own mutation and record ids) of the same 30 new buildings, pushed at the same moment."""
    grid = territory["HC-XY-XA-01"]
    places = [
        (shifted(XA, east_m=-250 + (n % 5) * 120, north_m=(n // 5) * 120), f"新垵村{800 + n}号")
        for n in range(30)
    ]
    tokens = device_tokens(grid, 8, "d")
    barrier = threading.Barrier(8)
    statuses: list[str] = []

    def send(token: str, seed: int) -> None:
        order = random.Random(seed).sample(places, len(places))  # each device walked its own way
        batch = {"device_id": "d", "mutations": [mutation("building", point=shifted(p, east_m=seed), address=a)
                                                  for p, a in order]}  # fmt: skip
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            response = client.post(f"{base}/api/v1/sync/push/", json=batch)
            assert response.status_code == 200, response.text
            statuses.extend(r["status"] for r in response.json()["results"])

    with gunicorn(workers=4, threads=4) as base:
        threads = [threading.Thread(target=send, args=(token, n)) for n, token in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert Counter(statuses) == {"applied": 30, "merged": 210}
    assert Building.objects.filter(merged_into__isnull=True).count() == 30
    assert Building.objects.count() == 240


def test_eight_devices_editing_one_building_at_once_merge_and_none_is_rejected(territory: Any) -> None:
    """Each update waits for the one before and merges three ways against it: the first edit of a field
    applies, the later ones of the same field (edited from the same version) are conflicts, none fails."""
    grid = territory["HC-XY-XA-01"]
    tokens = device_tokens(grid, 8, "e")
    created = mutation("building", address="新垵村900号", point=XA)
    barrier = threading.Barrier(8)
    results: list[dict[str, Any]] = []

    def send(token: str, n: int) -> None:
        edit = {"floors": 2 + n} if n % 2 else {"name": f"第{n}号楼"}
        batch = {"device_id": "e", "mutations": [
            mutation("building", "update", record_id=created["id"], base=1, point=None, **edit)
        ]}  # fmt: skip
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            response = client.post(f"{base}/api/v1/sync/push/", json=batch)
            assert response.status_code == 200, response.text
            results.extend(response.json()["results"])

    with gunicorn(workers=4, threads=4) as base:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {tokens[0]}"}) as client:
            first = client.post(f"{base}/api/v1/sync/push/", json={"device_id": "e", "mutations": [created]})
            assert first.json()["results"][0]["status"] == "applied", first.text
        threads = [threading.Thread(target=send, args=(token, n)) for n, token in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert Counter(r["status"] for r in results) == {"applied": 2, "conflict": 6}, results
    building = Building.objects.get(pk=created["id"])
    assert building.version == 3
    assert {c["field"] for r in results for c in r["conflicts"]} == {"floors", "name"}
