"""Fixtures for sharing tests: a department with an API key, records of every kind, subscriptions."""

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from apps.registry.services import residence_collect
from apps.sharing.models import CatalogueField, Subscription
from apps.sharing.services import subscription_create
from apps.sharing.webhooks.connections import clients_close
from tests.registry.conftest import HH, XA, collect_building, collect_person, id_number, shifted, worker

__all__ = ["HH", "XA", "collect_building", "collect_person", "shifted", "worker"]

ID_NUMBER = id_number("19480301", "512")
# The migrations that seed the catalogue, in order.
SEEDS = ("0002_seed_catalogue", "0003_catalogue_organisations", "0004_record_types_organisations_alerts")
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def catalogue(db: Any) -> None:
    """The catalogue the migration seeds; a transactional test's flush empties it, so seed it again then."""
    if not CatalogueField.objects.exists():
        for seeding in SEEDS:
            importlib.import_module(f"apps.sharing.migrations.{seeding}").seed(django_apps, None)


@pytest.fixture(autouse=True)
def webhook_connections() -> Iterator[None]:
    """Each test starts without the connections an earlier test's deliveries kept alive."""
    yield
    clients_close()


@pytest.fixture
def civil(department: Callable[..., Any], territory: Any) -> Any:
    """海沧区民政局, the department the tests grant data to."""
    return department(code="HC-MZ", name="海沧区民政局", jurisdiction=territory["350205"], level="district")


@pytest.fixture
def civil_client(civil: Any, api_key_of: Any, api_client: Any) -> APIClient:
    _key, secret = api_key_of(civil)
    return api_client(secret)


@pytest.fixture
def records(collect_building: Any, collect_person: Any, worker_of: Any) -> dict[str, Any]:
    """In 新垵村 grid 01: a building, an elderly person living alone there (full numbers), a tenant."""
    building = collect_building(use="rental", floors=4).record
    elder = collect_person(name="陈阿婆", gender="female", id_number=ID_NUMBER, phone=PHONE, household_type="registered",
                           tags=["elderly_alone"]).record  # fmt: skip
    tenant = collect_person(point=shifted(XA, 40), name="李四", gender="male").record
    residence, _ = residence_collect(person=elder, building=building, room="302", relation="owner")
    far = collect_building(point=HH, address="海虹社区8号", collector=worker_of("HC-SY-HH-01")).record
    return {"building": building, "elder": elder, "tenant": tenant, "residence": residence, "far": far}


@pytest.fixture
def subscribe(civil: Any, territory: Any, admin_user: Any) -> Callable[..., Subscription]:
    def make(fields: list[str], *, nodes: tuple[str, ...] = ("HC-XY",), **values: Any) -> Subscription:
        values.setdefault("record_types", sorted({f.split(".")[0] for f in fields} | {"building"}))
        values.setdefault("purpose", "独居老人关爱服务")
        values.setdefault("name", "关爱")
        return subscription_create(department=civil, nodes=[territory[c] for c in nodes], actor=admin_user,
                                   fields=fields, **values)  # fmt: skip

    return make


def read_feed(
    client: APIClient, subscription: Subscription, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    while True:
        response = client.get(
            f"/api/v1/feeds/{subscription.pk}/changes/", {"cursor": cursor} if cursor else {}
        )
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks enqueued after commit run at once in this process (transactional tests), not on a broker."""
    from apps.sharing.tasks import deliver_webhook

    conf = deliver_webhook.app.conf
    conf.task_always_eager = True
    yield
    conf.task_always_eager = False
