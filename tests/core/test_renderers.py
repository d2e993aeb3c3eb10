"""The orjson renderer writes what DRF's renderer writes, only faster."""

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.views import APIView

from apps.core.renderers import JSONRenderer

SAMPLES: list[Any] = [
    {
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "n": 3,
        "x": 120.1234567,
        "ok": True,
        "none": None,
    },
    {"at": dt.datetime(2026, 12, 7, 8, 30, 1, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 12, 7)},
    {"local": dt.datetime(2026, 12, 7, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))},
    {
        "amount": decimal.Decimal("12.50"),
        "lazy": gettext_lazy("Not found."),
        "span": dt.timedelta(minutes=90),
    },
    {"name": "网格员 张三 😀", "nested": [[1, 2], {"a": [{"b": None}]}], 1: "int key"},
    [{"type": "Point", "coordinates": (118.0894, 24.4798)}],
    {"text": "line\u2028paragraph\u2029end"},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_same_document_as_drfs_renderer(data: Any) -> None:
    ours, drfs = JSONRenderer().render(data), renderers.JSONRenderer().render(data)
    assert json.loads(ours) == json.loads(drfs)


def test_datetimes_in_utc_end_in_z_as_drf_writes_them() -> None:
    body = JSONRenderer().render({"at": dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)})
    assert body == b'{"at":"2026-12-07T08:30:00Z"}'


def test_line_and_paragraph_separators_are_escaped() -> None:
    body = JSONRenderer().render({"text": "a\u2028b\u2029c"})
    assert body == b'{"text":"a\\u2028b\\u2029c"}'
    assert "\u2028".encode() not in body


def test_integers_beyond_64_bits_and_indent_fall_back_to_drf() -> None:
    huge = {"n": 2**70}
    assert JSONRenderer().render(huge) == renderers.JSONRenderer().render(huge)
    pretty = JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert pretty == b'{\n  "a": 1\n}'


def test_nothing_renders_as_an_empty_body() -> None:
    assert JSONRenderer().render(None) == b""


def test_api_views_render_with_it() -> None:
    assert [type(renderer) for renderer in APIView().get_renderers()] == [JSONRenderer]
