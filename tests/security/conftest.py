"""Two parties that must not see into each other: A in 新阳街道 (新垵村 grid 01), B in 嵩屿街道 (海虹社区 grid 01).

Each party has a grid worker, a dispatcher of its subdistrict and a department system (API key). A's records
are made the way clients make them (through the API where there is one); B then calls every operation
with A's ids and references. What A holds is listed in ``secrets``: none of it may ever reach B.
"""

import hashlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.registry.models import ReviewItem
from apps.sharing.models import CatalogueField, WebhookDelivery, WebhookEndpoint
from apps.sharing.services import subscription_create
from apps.sync.models import ConflictItem
from tests.events.conftest import routing
from tests.registry.conftest import HH, XA, geo, id_number, shifted

__all__ = ["routing"]

ID_NUMBER_A = id_number("19560712", "318")
PHONE_A = "13912345670"
PASSPORT_A = "E98765432"
ADDRESS_A = "新垵村秘巷7号"
NAME_A = "甲秘密"
JPEG_A = b"\xff\xd8\xff\xe0" + b"\x0a" * 80
JPEG_B = b"\xff\xd8\xff\xe0" + b"\x0b" * 80


@dataclass
class World:
    """A's and B's people and clients, A's records by name (``ids``) and everything of A's B must not see."""

    users: dict[str, Any]
    clients: dict[str, APIClient]
    ids: dict[str, str] = field(default_factory=dict)
    records: dict[str, Model] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    b_ids: dict[str, str] = field(default_factory=dict)
    b_models: dict[str, type[Model]] = field(default_factory=dict)


def put_photo(client: APIClient, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    response = client.put(f"/api/v1/attachments/{sha}/", content, content_type="image/jpeg")
    assert response.status_code == 201, response.content[:300]
    return sha


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in {200, 201}, response.content[:500]
    body = response.json()
    return dict(body)


@pytest.fixture(autouse=True)
def _media(tmp_path: Any) -> Iterator[None]:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield


@pytest.fixture
def world(
    territory: Any,
    routing: Any,
    worker_of: Any,
    dispatcher_of: Any,
    api_key_of: Any,
    api_client: Callable[[Any], APIClient],
    admin_user: Any,
) -> World:
    if not CatalogueField.objects.exists():
        importlib.import_module("apps.sharing.migrations.0002_seed_catalogue").seed(django_apps, None)
    dept_a, dept_b = routing["HC-XY-XA-CW"], routing["HC-SY-HH-CW"]
    users = {
        "worker_a": worker_of("HC-XY-XA-01"),
        "worker_b": worker_of("HC-SY-HH-01"),
        "dispatcher_a": dispatcher_of("HC-XY"),
        "dispatcher_b": dispatcher_of("HC-SY"),
        "dept_a": dept_a,
        "dept_b": dept_b,
        "admin": admin_user,
    }
    clients = {name: api_client(user) for name, user in users.items() if not name.startswith("dept_")}
    clients["key_a"] = api_client(api_key_of(dept_a)[1])
    clients["key_b"] = api_client(api_key_of(dept_b)[1])
    w = World(users=users, clients=clients)
    wa, da = clients["worker_a"], clients["dispatcher_a"]

    w.ids["photo"] = put_photo(wa, JPEG_A)
    w.ids["building"] = created(wa.post("/api/v1/buildings/", {
        "address": ADDRESS_A, "name": "甲秘楼", "location": geo(XA), "photos": [w.ids["photo"]], "floors": 3,
    }, format="json"))["id"]  # fmt: skip
    w.ids["person"] = created(wa.post("/api/v1/people/", {
        "name": NAME_A, "id_number": ID_NUMBER_A, "phone": PHONE_A, "passport_number": PASSPORT_A,
        "tags": ["elderly_alone"], "location": geo(XA),
        "residence": {"building_id": w.ids["building"], "room": "301", "relation": "owner"},
    }, format="json"))["id"]  # fmt: skip
    residences = created(da.get("/api/v1/residences/", {"person": w.ids["person"]}))
    w.ids["residence"] = next(r["id"] for r in residences["results"] if str(r["person"]) == w.ids["person"])
    other = created(wa.post("/api/v1/buildings/", {"address": "新垵村秘巷9号", "location": geo(shifted(XA, 300))},
                            format="json"))["id"]  # fmt: skip
    third = created(wa.post("/api/v1/buildings/", {"address": "新垵村秘巷11号", "location": geo(shifted(XA, 0, 300))},
                            format="json"))["id"]  # fmt: skip
    w.ids["merge"] = created(da.post("/api/v1/registry/merges/", {
        "record_type": "building", "survivor_id": other, "merged_id": third,
    }, format="json"))["id"]  # fmt: skip
    w.ids["merged_building"] = other
    w.ids["event"] = created(wa.post("/api/v1/events/", {
        "category": "dispute_neighbour", "title": "甲秘事件", "location": geo(XA), "photos": [w.ids["photo"]],
    }, format="json"))["id"]  # fmt: skip
    w.ids["review"] = str(ReviewItem.objects.create(
        record_type="building", record_id=w.ids["building"], candidate_id=other,
        grid=territory["HC-XY-XA-01"], score=0.6, reasons=["名称相近"],
    ).pk)  # fmt: skip
    w.ids["conflict"] = str(ConflictItem.objects.create(
        record_type="building", record_id=w.ids["building"], grid=territory["HC-XY-XA-01"], field="floors",
        device_value=4, server_value=3, base_version=1, server_version=2,
        mutation_id="01900000-0000-7000-8000-000000000001", user=users["worker_a"],
    ).pk)  # fmt: skip
    w.ids["assignment"] = str(users["worker_a"].grid_assignments.get().pk)
    subscription = subscription_create(
        department=dept_a, nodes=[territory["HC-XY"]], actor=admin_user, fields=["building.address"],
        record_types=["building"], purpose="甲秘用途", name="甲订阅",
    )  # fmt: skip
    w.ids["subscription"] = str(subscription.pk)
    endpoint = WebhookEndpoint.objects.create(
        department=dept_a, url="https://a.example.org/hook", secret_sealed="x"
    )
    w.ids["endpoint"] = str(endpoint.pk)
    w.ids["delivery"] = str(WebhookDelivery.objects.create(
        endpoint=endpoint, subscription=subscription, event_type="record.changed", payload={"marker": ADDRESS_A},
        status="dead", next_attempt_at=timezone.now() - timedelta(hours=1),
    ).pk)  # fmt: skip
    w.ids["department"] = str(dept_a.pk)
    w.ids["grid"] = "HC-XY-XA-01"
    pulled = created(wa.get("/api/v1/sync/pull/"))
    w.ids["cursor"] = pulled["cursor"]

    # What B has of its own, so that B's calls are otherwise valid.
    wb = clients["worker_b"]
    w.b_ids["photo"] = put_photo(wb, JPEG_B)
    w.b_ids["building"] = created(wb.post("/api/v1/buildings/", {"address": "海虹社区乙巷2号", "location": geo(HH)},
                                          format="json"))["id"]  # fmt: skip
    w.b_ids["person"] = created(wb.post("/api/v1/people/", {"name": "乙某", "location": geo(HH)},
                                        format="json"))["id"]  # fmt: skip

    w.b_models = {"building": _model_of("building"), "person": _model_of("person")}

    for name in (
        "building",
        "person",
        "residence",
        "event",
        "review",
        "conflict",
        "merge",
        "merged_building",
    ):
        model, pk = _model_of(name), w.ids[name]
        w.records[name] = model._default_manager.get(pk=pk)
    w.records["assignment"] = users["worker_a"].grid_assignments.get()
    w.records["subscription"] = subscription
    w.records["endpoint"] = endpoint
    w.records["delivery"] = WebhookDelivery.objects.get(pk=w.ids["delivery"])
    w.secrets = {
        *(w.ids[k] for k in ids_that_are_secret()),
        ADDRESS_A, NAME_A, ID_NUMBER_A, PHONE_A, PASSPORT_A, PHONE_A[-4:] + "\"", "甲秘楼", "甲秘事件", "甲秘用途",
    }  # fmt: skip
    return w


def ids_that_are_secret() -> list[str]:
    return ["building", "person", "residence", "event", "review", "conflict", "merge", "merged_building",
            "assignment", "subscription", "endpoint", "delivery", "photo"]  # fmt: skip


def _model_of(name: str) -> type[Model]:
    from apps.events.models import Event
    from apps.registry.models import Building, MergeEvent, Person, Residence

    return {
        "building": Building, "merged_building": Building, "person": Person, "residence": Residence,
        "event": Event, "review": ReviewItem, "conflict": ConflictItem, "merge": MergeEvent,
    }[name]  # fmt: skip
