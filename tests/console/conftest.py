"""Fixtures for the console: a small world of two subdistricts with events in triage and in handling."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.events.models import Event, RoutingRule
from tests.events.conftest import HH, XA, report, routing  # noqa: F401 - fixture re-exported
from tests.factories import TEST_PASSWORD

__all__ = ["HH", "XA"]


@pytest.fixture
def world(
    routing: Any,  # noqa: F811
    dispatcher_of: Callable[[str], User],
    worker_of: Callable[..., User],
    api_client: Any,
) -> dict[str, Any]:
    """新阳街道 (HC-XY) and 嵩屿街道 (HC-SY): a dispatcher of each, a worker in each, disputes in triage (no rule
    routes them here) and a fire hazard routed to its department in 新阳."""
    RoutingRule.objects.filter(family_id="dispute").delete()
    worker_xa, worker_hh = worker_of("HC-XY-XA-01"), worker_of("HC-SY-HH-01")
    mine = report(api_client(worker_xa), "dispute_family", XA, title="新垵村邻里纠纷")
    theirs = report(api_client(worker_hh), "dispute_family", HH, title="海虹社区邻里纠纷")
    routed = report(api_client(worker_xa), "fire_rental", (XA[0] + 0.002, XA[1]), title="出租屋消防通道堵塞")
    return {
        "dispatcher": dispatcher_of("HC-XY"), "dispatcher_sy": dispatcher_of("HC-SY"),
        "worker": worker_xa, "worker_hh": worker_hh, "routing": routing,
        "mine": Event.objects.get(pk=mine["id"]), "theirs": Event.objects.get(pk=theirs["id"]),
        "routed": Event.objects.get(pk=routed["id"]),
    }  # fmt: skip


def signed_in(user: User, **headers: Any) -> Client:
    client = Client(**headers)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def console() -> Callable[..., Client]:
    """``console(user)``: a browser-like client signed in to the console with a session."""
    return signed_in
