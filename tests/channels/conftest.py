"""Fixtures for channel tests: channels of each kind with their keys, clients that speak with those keys."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.channels.models import Channel
from apps.channels.services import channel_create, channel_mappings_set
from tests.events.conftest import HH, NEAR_BOUNDARY, OUTSIDE, XA, act, department_client, reporter, routing

__all__ = ["HH", "NEAR_BOUNDARY", "OUTSIDE", "XA", "act", "department_client", "reporter", "routing"]

# The hotline's own category codes and the catalogue categories they map to.
HOTLINE_MAPPINGS = {"0301": "dispute_neighbour", "0702": "sanitation_garbage", "1101": "municipal_road"}
SENSOR_MAPPINGS = {
    "smoke": "fire_rental",
    "water_level": "municipal_manhole",
    "dumping": "sanitation_garbage",
}


@pytest.fixture
def make_channel(routing: Any) -> Callable[..., tuple[Channel, str]]:
    def make(
        kind: str, name: str | None = None, mappings: dict[str, str] | None = None, **values: Any
    ) -> Any:
        channel, key = channel_create(name=name or f"{kind} channel", kind=kind, **values)
        if mappings:
            channel_mappings_set(channel=channel, mappings=mappings)
        return channel, key

    return make


@pytest.fixture
def hotline(make_channel: Any) -> tuple[Channel, str]:
    return make_channel("hotline", "厦门12345", HOTLINE_MAPPINGS, triage_category="dispute_neighbour")


@pytest.fixture
def sensors(make_channel: Any) -> tuple[Channel, str]:
    return make_channel("sensor", "物联感知平台", SENSOR_MAPPINGS)


@pytest.fixture
def open311(make_channel: Any) -> tuple[Channel, str]:
    return make_channel("open311", "i厦门")


@pytest.fixture
def channel_client() -> Callable[[str], APIClient]:
    def make(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


def order(
    order_no: str, category: str = "0301", point: tuple[float, float] = XA, **extra: Any
) -> dict[str, Any]:
    return {"order_no": order_no, "category": category, "title": extra.pop("title", "楼上噪音扰民"),
            "content": extra.pop("content", "市民来电反映楼上深夜噪音"), "lon": point[0], "lat": point[1],
            "caller": {"name": "王小明", "phone": "13912345678"}, **extra}  # fmt: skip
