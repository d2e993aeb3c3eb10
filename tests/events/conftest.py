"""Fixtures for event tests: the demo's departments and routing rules, reporters, department clients."""

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.demo import events as demo_events
from apps.demo.people import DEPARTMENTS
from apps.departments.models import Department
from apps.departments.services import department_upsert
from apps.events.models import EventFamily
from apps.territory.models import TerritoryNode
from tests.registry.conftest import XA, geo, shifted

__all__ = ["XA", "geo", "shifted"]

# Points well inside grids (far from every boundary): 新垵村 grid 01 (新阳街道) and 海虹社区 grid 01 (嵩屿街道).
HH = (118.0550, 24.4350)
# 新垵村 grid 01 touches 祥露村 grid 03 at longitude 118.020: 10 m east of that line is within the margin.
NEAR_BOUNDARY = (118.0201, 24.4850)
# Between the subdistricts' rectangles: inside the city, outside every grid.
OUTSIDE = (118.10, 24.62)


def ensure_catalogue() -> None:
    """The catalogue the migration seeds; a transactional test's flush empties it, so seed it again then."""
    if not EventFamily.objects.exists():
        seed = importlib.import_module("apps.events.migrations.0002_seed_catalogue")
        seed.seed(django_apps, None)


@pytest.fixture
def routing(territory: dict[str, TerritoryNode]) -> dict[str, Department]:
    """The demo's departments and routing rules."""
    ensure_catalogue()
    departments: dict[str, Department] = {}
    for code, name, name_en, jurisdiction, parent in DEPARTMENTS:
        departments[code] = department_upsert(
            code=code, name=name, name_en=name_en, jurisdiction=territory[jurisdiction],
            parent=departments.get(parent) if parent else None,
        )  # fmt: skip
    demo_events.load(departments)
    return {d.code: d for d in Department.objects.all()}


@pytest.fixture
def reporter(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-XY-XA-01")


@pytest.fixture
def department_client(
    api_client: Callable[[Any], APIClient], api_key_of: Any, routing: dict[str, Department]
) -> Callable[[str], APIClient]:
    """``department_client("HC-XY-XA-CW")``: the API client of that department's system."""

    def make(code: str) -> APIClient:
        _key, secret = api_key_of(routing[code])
        return api_client(secret)

    return make


def report_body(category: str, point: tuple[float, float] = XA, **extra: Any) -> dict[str, Any]:
    return {"category": category, "title": extra.pop("title", "事件"), "location": geo(point), **extra}


def report(client: APIClient, category: str, point: tuple[float, float] = XA, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/events/", report_body(category, point, **extra), format="json")
    assert response.status_code in {200, 201}, response.content[:800]
    return dict(response.json())


def act(client: APIClient, event_id: Any, action: str, *, version: int | None = None, expect: int = 200,
        **body: Any) -> dict[str, Any]:  # fmt: skip
    if version is None:
        current = client.get(f"/api/v1/events/{event_id}/")
        version = current.json()["properties"]["version"] if current.status_code == 200 else 1
    response = client.post(f"/api/v1/events/{event_id}/actions/", {"action": action, **body}, format="json",
                           HTTP_IF_MATCH=f'"{version}"')  # fmt: skip
    assert response.status_code == expect, response.content[:800]
    return dict(response.json())
