"""Unified social credit codes (GB 32100-2015) and organisation codes (GB 11714)."""

import pytest

from apps.core.credit_code import (
    CHARSET,
    WEIGHTS,
    credit_check_character,
    is_individual_business,
    org_check_character,
    validate_credit_code,
    validate_org_code,
)
from apps.core.identity import IdentifierError

# Codes printed on published business licences, which pass every check.
PUBLISHED = ["91350100M000100Y43", "91440300708461136T", "91110000802100433B"]


def make_code(prefix: str = "91", region: str = "350205", org8: str = "MA2XN2JX") -> str:
    first17 = prefix + region + org8 + org_check_character(org8)
    return first17 + credit_check_character(first17)


def test_weights_are_the_standards() -> None:
    assert WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


@pytest.mark.parametrize("code", [*PUBLISHED, make_code(), make_code("92", "350203", "L1234567")])
def test_valid_codes_pass(code: str) -> None:
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_single_substitution_at_every_position_fails(code: str) -> None:
    tried = 0
    for position in range(18):
        for ch in CHARSET + "IOSVZ":
            if ch == code[position]:
                continue
            changed = code[:position] + ch + code[position + 1 :]
            with pytest.raises(IdentifierError):
                validate_credit_code(changed)
            tried += 1
    assert tried == 18 * 35


def test_lower_case_spaces_and_full_width_are_normalised() -> None:
    assert validate_credit_code(" 9135 0100-m000 100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y4", "credit_code_format"),
        ("91350100M000100YI3", "credit_code_format"),
        ("9199010" + "0M000100Y43", "credit_code_region"),
        ("91AB0100M000100Y43", "credit_code_region"),
        ("91350100M000100Y53", "credit_code_org_code"),
        ("91350100M000100Y44", "credit_code_checksum"),
    ],
)
def test_each_rule_is_named(code: str, rule: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_credit_code(code)
    assert caught.value.rule == rule


def test_a_code_whose_own_check_holds_but_organisation_code_fails_is_refused() -> None:
    # Position 17 changed and position 18 recomputed: the GB 32100 check holds, GB 11714 does not.
    first17 = "91350100M000100Y" + "5"
    code = first17 + credit_check_character(first17)
    with pytest.raises(IdentifierError) as caught:
        validate_credit_code(code)
    assert caught.value.rule == "credit_code_org_code"


def test_organisation_code_check() -> None:
    assert org_check_character("M000100Y") == "4"
    assert validate_org_code("m000100y-4") == "M000100Y4"
    assert org_check_character("00000006") == "X"  # 6·2 = 12 ≡ 1 (mod 11): 11 − 1 = 10 → X
    assert org_check_character("00000000") == "0"  # 11 − 0 = 11 → 0
    with pytest.raises(IdentifierError) as caught:
        validate_org_code("M000100Y5")
    assert caught.value.rule == "org_code_checksum"
    with pytest.raises(IdentifierError) as caught:
        validate_org_code("M000100")
    assert caught.value.rule == "org_code_format"


def test_individual_businesses_are_told_by_their_prefix() -> None:
    assert is_individual_business(make_code("92"))
    assert not is_individual_business(PUBLISHED[0])
