"""Twenty devices collecting the same new building (or person) at the same moment: one record, 19 merges."""

import threading
from collections import Counter
from typing import Any

import httpx
import pytest

from apps.accounts.services import device_token_issue
from apps.registry.models import Building, Person
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import gunicorn
from tests.registry.conftest import XA, geo, id_number, shifted

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

THREADS = 20


def hammer(base: str, url: str, bodies: list[dict[str, Any]], tokens: list[str]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))
    responses: list[httpx.Response] = [None] * len(bodies)  # type: ignore[list-item]

    def run(i: int) -> None:
        with httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {tokens[i]}"}
        ) as client:
            barrier.wait()
            responses[i] = client.post(url, json=bodies[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_collection_yields_one_record(territory: Any) -> None:
    tokens = []
    for n in range(THREADS):
        worker = UserFactory()
        grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
        tokens.append(
            device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id=f"d{n}").secret
        )
    buildings = [
        {"address": "新垵村888号", "location": geo(shifted(XA, east_m=(i % 5) * 3, north_m=(i % 4) * 3))}
        for i in range(THREADS)
    ]
    number = id_number(seq="777")
    people = [{"name": "黄明", "id_number": number, "location": geo(XA)} for _ in range(THREADS)]
    with gunicorn(workers=4, threads=8) as base:
        building_responses = hammer(base, "/api/v1/buildings/", buildings, tokens)
        person_responses = hammer(base, "/api/v1/people/", people, tokens)

    for responses, model in ((building_responses, Building), (person_responses, Person)):
        assert Counter(r.status_code for r in responses) == {201: 1, 200: THREADS - 1}, [
            r.text for r in responses
        ]
        assert len({r.json()["id"] for r in responses}) == 1
        assert model.objects.filter(merged_into__isnull=True).count() == 1
        assert model.objects.filter(merged_into__isnull=False).count() == THREADS - 1
