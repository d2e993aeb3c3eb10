"""A's and B's records of the newer apps (organisations, operations, watch rules and alerts, channels), made
once, when an attack first names them — the way clients make them where there is an endpoint.

Every record of A's made here joins ``world.records`` (its row must not change) and ``world.secrets`` (its id
and its marked text must never reach B). Attacks are evaluated once before anything is measured, so that
making them is never taken for a write of B's.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.utils import timezone
from rest_framework.test import APIClient

from apps.channels.models import Channel, ChannelRequest
from apps.channels.services import channel_create, channel_mappings_set
from apps.operations.models import CheckIn, Patrol, PatrolPoint, Task, Visit
from apps.registry.models import Residence
from apps.registry.organisations.alerts import watch_rule_create
from apps.registry.organisations.models import Alert, Employment, Organisation, WatchRule
from apps.territory.models import TerritoryNode

from .conftest import World, created, put_photo

STARTED = "2026-11-16T09:00:00+08:00"
XA_POINT = {"type": "Point", "coordinates": [118.0225, 24.4850]}
HH_POINT = {"type": "Point", "coordinates": [118.0550, 24.4350]}
CALLER_A = "甲秘来电人"
# What the new records of A's hold that B must never see.
SECRET_TEXTS = ("甲秘商店", "甲秘巡更点", "甲秘任务", "甲秘走访", "甲秘预警", CALLER_A)


def fixes(origin: tuple[float, float], n: int = 3) -> list[dict[str, Any]]:
    start = dt.datetime.fromisoformat(STARTED)
    return [
        {"seq": i, "t": (start + dt.timedelta(seconds=5 * i)).isoformat(), "lon": origin[0] + i * 1e-5,
         "lat": origin[1], "accuracy_m": 5.0, "speed_mps": 1.0, "provider": "gps", "mock": False}
        for i in range(n)
    ]  # fmt: skip


def _patrol(client: APIClient, origin: tuple[float, float]) -> str:
    patrol_id = str(uuid.uuid4())
    created(client.post("/api/v1/patrols/", {"id": patrol_id, "kind": "routine", "started_at": STARTED,
                                             "points": fixes(origin)}, format="json"))  # fmt: skip
    return patrol_id


def _point(client: APIClient, grid: str, location: dict[str, Any], name: str) -> str:
    body = {"grid": grid, "name": name, "location": location, "radius_m": 30, "methods": ["gps", "qr"],
            "schedule": "daily"}  # fmt: skip
    return str(created(client.post("/api/v1/patrol-points/", body, format="json"))["id"])


def _organisation(w: World) -> str:
    wa = w.clients["worker_a"]
    return str(created(wa.post("/api/v1/organisations/", {
        "name": "甲秘商店", "kind": "individual", "building_id": w.ids["building"], "location": XA_POINT,
        "photos": [w.ids["photo"]],
    }, format="json"))["id"])  # fmt: skip


def _employment(w: World) -> str:
    return str(created(w.clients["worker_a"].post("/api/v1/employments/", {
        "person_id": w.ids["person"], "organisation_id": made(w, "organisation"), "role": "店员",
    }, format="json"))["id"])  # fmt: skip


def _checkin(w: World) -> str:
    point, patrol = made(w, "patrol_point"), made(w, "patrol")
    t = (dt.datetime.fromisoformat(STARTED) + dt.timedelta(minutes=1)).isoformat()
    checkin = {"point_id": point, "t": t, "lon": 118.0225, "lat": 24.4850, "accuracy_m": 5, "method": "gps"}
    created(
        w.clients["worker_a"].post(
            f"/api/v1/patrols/{patrol}/chunks/", {"checkins": [checkin]}, format="json"
        )
    )
    return str(CheckIn.objects.get(point_id=point, patrol_id=patrol).pk)


def _visit(w: World) -> str:
    return str(created(w.clients["worker_a"].post("/api/v1/visits/", {
        "started_at": STARTED, "outcome": "nobody_home", "building_id": w.ids["building"], "person_ids": [w.ids["person"]],
        "notes": "甲秘走访",
    }, format="json"))["id"])  # fmt: skip


def _task(w: World) -> str:
    return str(created(w.clients["dispatcher_a"].post("/api/v1/tasks/", {
        "kind": "visit", "title": "甲秘任务", "due": "2026-12-01", "subject": {"type": "person", "id": w.ids["person"]},
    }, format="json"))["id"])  # fmt: skip


def _watch_rule(w: World) -> str:
    rule = watch_rule_create(
        department=w.users["dept_a"], nodes=[TerritoryNode.objects.get(code="HC-XY")], actor=w.users["admin"],
        name="甲规则", tags=["elderly_alone"], kinds=["arrival", "departure"], purpose="甲秘预警",
    )  # fmt: skip
    return str(rule.pk)


def _alert(w: World) -> str:
    residence = Residence.objects.get(pk=w.ids["residence"])
    alert = Alert.objects.create(
        rule_id=made(w, "watch_rule"), kind="arrival", person_id=residence.person_id, residence=residence,
        building_id=residence.building_id, grid=TerritoryNode.objects.get(code=w.ids["grid"]),
        department=w.users["dept_a"], at=timezone.now(),
    )  # fmt: skip
    return str(alert.pk)


def channel_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _channel(w: World) -> str:
    channel, key = channel_create(name="甲秘热线", kind="hotline", triage_category="dispute_neighbour")
    channel_mappings_set(channel=channel, mappings={"0301": "dispute_neighbour"})
    w.clients["channel_a"] = channel_client(key)
    return str(channel.pk)


def _channel_request(w: World) -> str:
    made(w, "channel")
    order = {"order_no": "甲-0001", "category": "0301", "title": "甲来电", "content": "噪音", "lon": 118.0226,
             "lat": 24.4851, "caller": {"name": CALLER_A, "phone": "13912345672"}}  # fmt: skip
    created(
        w.clients["channel_a"].post("/api/v1/channels/hotline/orders/", {"orders": [order]}, format="json")
    )
    return str(ChannelRequest.objects.get(external_id="甲-0001").pk)


A_MAKERS: dict[str, tuple[type[Model], Callable[[World], str]]] = {
    "organisation": (Organisation, _organisation),
    "employment": (Employment, _employment),
    "patrol": (Patrol, lambda w: _patrol(w.clients["worker_a"], (118.0225, 24.4850))),
    "patrol_point": (PatrolPoint, lambda w: _point(w.clients["dispatcher_a"], "HC-XY-XA-01", XA_POINT, "甲秘巡更点")),
    "checkin": (CheckIn, _checkin),
    "visit": (Visit, _visit),
    "task": (Task, _task),
    "watch_rule": (WatchRule, _watch_rule),
    "alert": (Alert, _alert),
    "channel": (Channel, _channel),
    "channel_request": (ChannelRequest, _channel_request),
}  # fmt: skip


def made(w: World, name: str) -> str:
    """The id of A's record ``name``, made the first time it is asked for."""
    if name in w.ids:
        return w.ids[name]
    model, make = A_MAKERS[name]
    w.ids[name] = record_id = make(w)
    w.records[name] = model._default_manager.get(pk=record_id)
    w.secrets |= {record_id, *SECRET_TEXTS}
    return record_id


def _b_organisation(w: World) -> str:
    return str(created(w.clients["worker_b"].post("/api/v1/organisations/", {
        "name": "乙商店", "kind": "individual", "location": HH_POINT}, format="json"))["id"])  # fmt: skip


def _b_channel(w: World) -> str:
    """B's own channel system: a sensor network (its alarms are its own business)."""
    channel, key = channel_create(name="乙感知平台", kind="sensor")
    w.clients["channel_b"] = channel_client(key)
    return str(channel.pk)


B_MAKERS: dict[str, Callable[[World], str]] = {
    "organisation": _b_organisation,
    "patrol": lambda w: _patrol(w.clients["worker_b"], (118.0550, 24.4350)),
    "patrol_point": lambda w: _point(w.clients["dispatcher_b"], "HC-SY-HH-01", HH_POINT, "乙巡更点"),
    "channel": _b_channel,
    "photo": lambda w: put_photo(w.clients["worker_b"], b"\xff\xd8\xff\xe0" + b"\x0b" * 80),
}


def b_made(w: World, name: str) -> str:
    """The id of B's own record ``name``, made the first time it is asked for."""
    if name not in w.b_ids:
        w.b_ids[name] = B_MAKERS[name](w)
        if name == "organisation":
            w.b_models[name] = Organisation
    return w.b_ids[name]


def client_of(w: World, caller: str) -> APIClient:
    """A caller's client; B's channel system is made when first used."""
    if caller == "channel_b":
        b_made(w, "channel")
    return w.clients[caller]
