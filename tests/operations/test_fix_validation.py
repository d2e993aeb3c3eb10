"""A chunk's fixes checked column by column (``clean_columns``) decide exactly as the point-by-point check."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from apps.operations.inputs import FixesField, clean_columns

ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-3, minutes=-30))]
)
# Plausible observation times (the last few years); Hypothesis takes naive bounds and draws the zone apart.
_NOW = timezone.now().replace(tzinfo=None)
INSTANTS = st.datetimes(
    min_value=_NOW - dt.timedelta(days=3000), max_value=_NOW - dt.timedelta(days=1), timezones=ZONES
)


def valid_point(seq: int) -> st.SearchStrategy[dict[str, Any]]:
    optional = st.fixed_dictionaries(
        {},
        optional={
            "accuracy_m": st.none() | st.integers(0, 100_000) | st.floats(0, 100_000),
            "speed_mps": st.none() | st.integers(0, 1_000) | st.floats(0, 1_000),
            "provider": st.sampled_from(["gps", "network", "fused", "other", "", None]),
            "mock": st.booleans(),
        },
    )
    required = st.fixed_dictionaries({
        "seq": st.just(seq), "t": INSTANTS.map(lambda t: t.isoformat()),
        "lon": st.floats(-180, 180) | st.integers(-180, 180), "lat": st.floats(-90, 90) | st.integers(-90, 90),
    })  # fmt: skip
    return st.tuples(required, optional).map(lambda parts: {**parts[0], **parts[1]})


@st.composite
def valid_chunk(draw: Any) -> list[dict[str, Any]]:
    seqs = draw(st.lists(st.integers(0, 2**31 - 1), unique=True, max_size=20))
    return [draw(valid_point(seq)) for seq in seqs]


HOSTILE = {
    "seq": [-1, 2**31, True, 1.0, "1", None],
    "t": [
        "2026-11-16T08:30:00",
        "yesterday",
        5,
        None,
        "2026-11-16T08:30:00+08:00" + "0" * 40,
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-14:00",
        "2200-01-01T00:00:00+00:00",
    ],
    "lon": [180.5, -181, float("nan"), float("inf"), True, "118", None, 10**400],
    "lat": [90.01, float("-inf"), False, [24.4]],
    "accuracy_m": [-1, 100_001, "6", True, float("nan"), 10**400],
    "speed_mps": [-0.1, 1_001, False],
    "provider": ["GPS", 1, ["gps"], {"a": 1}, True],
    "mock": ["no", 0, None],
}


def point_by_point(points: list[Any]) -> Any:
    try:
        return FixesField().checked_one_by_one(points)
    except serializers.ValidationError:
        return None


@settings(max_examples=300, deadline=None)
@given(chunk=valid_chunk())
def test_a_clean_chunk_gives_the_same_columns(chunk: list[dict[str, Any]]) -> None:
    expected = point_by_point(chunk)
    assert expected is not None
    assert clean_columns(chunk) == expected


@settings(max_examples=300, deadline=None)
@given(chunk=valid_chunk().filter(bool), data=st.data())
def test_any_bad_field_sends_the_chunk_to_the_point_by_point_check(
    chunk: list[dict[str, Any]], data: Any
) -> None:
    index = data.draw(st.integers(0, len(chunk) - 1))
    name = data.draw(st.sampled_from(sorted(HOSTILE)))
    chunk[index][name] = data.draw(st.sampled_from(HOSTILE[name]))
    assert point_by_point(chunk) is None
    assert clean_columns(chunk) is None


@pytest.mark.parametrize(
    "chunk",
    [
        [{"seq": 1, "t": "2026-11-16T08:30:00+08:00", "lon": 118, "lat": 24}, "not a point"],
        [{"seq": 1, "t": "2026-11-16T08:30:00+08:00", "lat": 24}],
        [{"seq": 1, "t": "2026-11-16T08:30:00+08:00", "lon": 118, "lat": 24}] * 2,  # the same seq twice
    ],
)
def test_malformed_points_and_repeated_seqs_are_left_to_the_point_by_point_check(chunk: list[Any]) -> None:
    assert point_by_point(chunk) is None
    assert clean_columns(chunk) is None


def test_a_huge_integer_is_a_field_error_not_a_crash() -> None:
    with pytest.raises(serializers.ValidationError) as raised:
        FixesField().to_internal_value(
            [{"seq": 0, "t": "2026-11-16T08:30:00+08:00", "lon": 10**400, "lat": 24, "accuracy_m": 10**400}]
        )
    assert set(raised.value.detail["0"]) == {"lon", "accuracy_m"}  # type: ignore[call-overload,index]
