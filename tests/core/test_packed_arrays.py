"""Array parameters packed by numpy in PostgreSQL's binary format read back as the lists they were made from."""

import datetime as dt
from typing import Any

import pytest

from apps.core.bulk import bound_cursor
from apps.core.packed_arrays import PackedArray, accept_packed, packed

pytestmark = pytest.mark.django_db

CHINA = dt.timezone(dt.timedelta(hours=8))


def round_trip(values: list[Any], type_name: str) -> list[Any]:
    with bound_cursor() as cursor:
        accept_packed(cursor)
        cursor.execute(f"SELECT %b::{type_name}[]", [packed(values, type_name)])
        return list(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("type_name", "values"),
    [
        ("int4", [0, 1, 2**31 - 1, -(2**31), 42]),
        ("int2", [0, 3, 32767, -32768]),
        ("float8", [118.0225123, -0.0, 24.485, 1e-300, -179.9999999]),
        ("float4", [6.0, 0.5, 100000.0]),
        ("bool", [True, False, False, True]),
    ],
)
def test_numbers_and_booleans_come_back_as_sent(type_name: str, values: list[Any]) -> None:
    assert isinstance(packed(values, type_name), PackedArray)
    assert round_trip(values, type_name) == values


def test_times_come_back_as_the_same_instants_whatever_their_offset() -> None:
    values = [
        dt.datetime(2026, 11, 16, 8, 30, tzinfo=CHINA),
        dt.datetime(2026, 11, 16, 0, 30, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),  # before PostgreSQL's epoch
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    ]
    assert round_trip(values, "timestamptz") == values


def test_a_column_with_a_null_or_nothing_in_it_is_left_to_psycopg() -> None:
    with_null = [1.5, None, 2.5]
    assert packed(with_null, "float4") is with_null
    assert round_trip(with_null, "float4") == with_null
    assert packed([], "int4") == []


def test_an_unknown_element_type_is_refused() -> None:
    with pytest.raises(KeyError):
        packed([1], "numeric")
