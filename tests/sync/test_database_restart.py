"""A PostgreSQL restart under pushes costs retries, never data: the database is cut (every connection dropped,
new ones refused for a while) three times while four devices push; every answer is a 200 or a 503 problem with
``Retry-After`` (never a 500), and once every device has its 200s each building exists exactly once."""

import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from apps.registry.models import Building
from apps.sync.models import AppliedMutation
from tests.live import gunicorn
from tests.proxy import cuttable_database
from tests.sync.conftest import XA, device_tokens, mutation, shifted

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

DEVICES, BATCHES, PER_BATCH = 4, 25, 5


def test_a_database_restart_under_pushes_loses_and_doubles_nothing(territory: Any) -> None:
    grid = territory["HC-XY-XA-01"]
    tokens = device_tokens(grid, DEVICES, "r")
    statuses: Counter[int] = Counter()
    final: dict[str, str] = {}
    failures: list[str] = []

    def device(n: int, token: str) -> None:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            for b in range(BATCHES):
                batch = {"device_id": f"r{n}", "mutations": [
                    mutation("building", address=f"新垵村{1000 + n * 100 + b * 10 + k}号",
                             point=shifted(XA, east_m=-300 + n * 150, north_m=-300 + b * 70 + k * 12))
                    for k in range(PER_BATCH)
                ]}  # fmt: skip
                for _attempt in range(200):  # a device re-sends the same batch until it is answered
                    try:
                        response = client.post(f"{base}/api/v1/sync/push/", json=batch)
                    except httpx.TransportError:
                        time.sleep(0.1)
                        continue
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        for result in response.json()["results"]:
                            final[result["mutation_id"]] = result["status"]
                        break
                    if response.status_code != 503 or int(response.headers.get("Retry-After", "0")) < 1:
                        failures.append(f"{response.status_code}: {response.text[:300]}")
                        return
                    assert response.headers["content-type"] == "application/problem+json"
                    time.sleep(0.2)  # a device waits Retry-After; the test keeps it short
                else:
                    failures.append("never answered")

    with cuttable_database() as database, gunicorn(workers=2, threads=4, env={
        "DATABASE_URL": database.database_url()
    }) as base:  # fmt: skip
        threads = [threading.Thread(target=device, args=(n, t)) for n, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads) and database.cuts < 3:
            time.sleep(0.4)
            database.cut(seconds=1.0)
        for thread in threads:
            thread.join()
    assert failures == []
    assert statuses[503] > 0, statuses  # the cuts were felt
    assert set(statuses) <= {200, 503}
    sent = DEVICES * BATCHES * PER_BATCH
    assert len(final) == sent and set(final.values()) == {"applied"}, Counter(final.values())
    assert Building.objects.count() == sent
    assert AppliedMutation.objects.filter(mutation_id__in=list(final)).count() == sent
