"""GB 11643-1999 ID numbers, phone numbers, masking."""

import datetime as dt

import pytest

from apps.core.identity import (
    IdentifierError,
    check_character,
    mask_id_number,
    mask_phone,
    parse_id_number,
    validate_phone,
)


def make_id(area: str = "350205", birth: str = "19900307", seq: str = "123") -> str:
    first17 = area + birth + seq
    return first17 + check_character(first17)


def test_published_example_is_valid() -> None:
    # The standard's worked example: 11010519491231002X.
    assert parse_id_number("11010519491231002X") == (dt.date(1949, 12, 31), "female")
    assert parse_id_number("11010519491231002x")[0] == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("11010519491231002", "id_format"),
        ("1101051949123100XX", "id_format"),
        ("110105194912310021", "id_checksum"),
        (make_id(area="990205"), "id_area"),
        (make_id(birth="19900230"), "id_birth_date"),
        (make_id(birth="18800101"), "id_birth_date"),
        (make_id(birth="20990101"), "id_birth_date"),
    ],
)
def test_invalid_numbers_name_the_rule(value: str, rule: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        parse_id_number(value)
    assert excinfo.value.rule == rule


def test_gender_from_the_sequence_digit() -> None:
    assert parse_id_number(make_id(seq="121"))[1] == "male"
    assert parse_id_number(make_id(seq="122"))[1] == "female"


@pytest.mark.parametrize(("raw", "clean"), [("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"),
                                            ("0592-6012345", "05926012345")])  # fmt: skip
def test_valid_phones(raw: str, clean: str) -> None:
    assert validate_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "abc", "23812345678"])
def test_invalid_phones(raw: str) -> None:
    with pytest.raises(IdentifierError):
        validate_phone(raw)


def test_masks() -> None:
    assert mask_id_number("350205199003071234") == "350205********1234"
    assert mask_phone("13812345678") == "138****5678"
