"""Helpers for sync tests: mutations as a device builds them."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Max
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.ids import uuid7
from apps.journal.models import JournalEntry
from apps.journal.selectors import journal_horizon
from tests.registry.conftest import XA, collect_building, collect_person, geo, id_number, shifted, worker

__all__ = ["XA", "collect_building", "collect_person", "geo", "id_number", "shifted", "worker"]


def device_tokens(grid: Any, count: int, prefix: str = "d") -> list[str]:
    """Device tokens of ``count`` new grid workers of ``grid`` (devices ``<prefix>0``, ``<prefix>1``, …)."""
    from apps.accounts.services import device_token_issue
    from apps.territory.selectors import today
    from apps.territory.services import grid_assignment_create
    from tests.factories import TEST_PASSWORD, UserFactory

    tokens = []
    for n in range(count):
        user = UserFactory()
        grid_assignment_create(worker=user, grid=grid, valid_from=today())
        tokens.append(
            device_token_issue(
                username=user.username, password=TEST_PASSWORD, device_id=f"{prefix}{n}"
            ).secret
        )
    return tokens


def mutation(kind: str, op: str = "create", *, record_id: Any = None, base: int | None = None,
             point: tuple[float, float] | None = XA, **data: Any) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {
        "mutation_id": str(uuid7()), "type": kind, "op": op, "id": str(record_id or uuid7()),
        "collected_at": "2026-11-20T10:03:00+08:00", "accuracy_m": 8.0, "data": data,
    }  # fmt: skip
    if point is not None:
        body["location"] = geo(point)
    if base is not None:
        body["base_version"] = base
    return body


@pytest.fixture
def device(api_client: Callable[[Any], APIClient], worker: User) -> APIClient:
    return api_client(worker)


def push(client: APIClient, *mutations: dict[str, Any], **extra: Any) -> Any:
    response = client.post(
        "/api/v1/sync/push/", {"device_id": "phone-1", "mutations": list(mutations)}, format="json", **extra
    )
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def pull_all(client: APIClient, cursor: str | None = None, **params: Any) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/sync/pull/", query)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


def new_id() -> uuid.UUID:
    return uuid7()


def settle(timeout: float = 60.0) -> None:
    """Wait until every journal entry is below the horizon, so a pull reads them all. The horizon is
    cluster-wide: a long transaction of another session on the same PostgreSQL cluster holds pulls back."""
    last = JournalEntry.objects.aggregate(last=Max("txid"))["last"] or 0
    deadline = time.monotonic() + timeout
    while journal_horizon() <= last and time.monotonic() < deadline:
        time.sleep(0.2)
