"""统一社会信用代码 (unified social credit code, GB 32100-2015) and its organisation code (GB 11714-1997).

Eighteen characters over ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z): the registering authority
(1), the kind of organisation (2), the region where it registered (3–8, a GB/T 2260 code), the organisation
code (9–17, itself ending in a GB 11714 check character) and the check character (18), which is
``charset[(31 − Σ vᵢ·wᵢ mod 31) mod 31]`` with ``wᵢ = 3^(i−1) mod 31``.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

from .identity import PROVINCE_CODES, IdentifierError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
CREDIT_CODE_RE = re.compile(f"^[{CHARSET}]{{18}}$")
# GB 11714: eight characters (digits or capital letters, A = 10 … Z = 35), then the check digit or X.
ORG_CODE_RE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
# Region codes of organisations registered by central authorities start with 10 (100000).
_REGION_PREFIXES = frozenset(PROVINCE_CODES | {10})
# Authority 9 (market regulation) with kind 2: 个体工商户.
INDIVIDUAL_PREFIX = "92"


def normalise_credit_code(value: str) -> str:
    """Half-width, upper case, without spaces or dashes (as printed on licences or typed on phones)."""
    return re.sub(r"[\s\-]+", "", unicodedata.normalize("NFKC", value or "")).upper()


def credit_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    """The GB 11714 check character of an organisation code's first 8 characters."""
    total = sum(int(ch, 36) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_org_code(value: str) -> str:
    """A 9-character organisation code (GB 11714); normalised, or ``IdentifierError`` naming the rule."""
    code = normalise_credit_code(value)
    if not ORG_CODE_RE.match(code):
        raise IdentifierError(
            "org_code_format", _("An organisation code has 8 digits or letters and a check character.")
        )
    if org_check_character(code[:8]) != code[8]:
        raise IdentifierError("org_code_checksum", _("The organisation code's check character is wrong."))
    return code


def validate_credit_code(value: str) -> str:
    """A unified social credit code, normalised; ``IdentifierError`` naming the rule it breaks.

    Rules, in order: the format (18 characters of the charset), the region code (positions 3–8), the
    organisation code's own check (positions 9–17), the check character (position 18).
    """
    code = normalise_credit_code(value)
    if not CREDIT_CODE_RE.match(code):
        raise IdentifierError(
            "credit_code_format",
            _("A unified social credit code has 18 digits or capital letters other than I, O, S, V and Z."),
        )
    region = code[2:8]
    if not region.isdigit() or int(region[:2]) not in _REGION_PREFIXES:
        raise IdentifierError(
            "credit_code_region",
            _("Positions 3–8 must be a region code; %(region)s is not.") % {"region": region},
        )
    org = code[8:17]
    if not ORG_CODE_RE.match(org) or org_check_character(org[:8]) != org[8]:
        raise IdentifierError(
            "credit_code_org_code", _("The organisation code (positions 9–17) fails its GB 11714 check.")
        )
    if credit_check_character(code[:17]) != code[17]:
        raise IdentifierError("credit_code_checksum", _("The credit code's check character is wrong."))
    return code


def is_valid_credit_code(value: str) -> bool:
    try:
        validate_credit_code(value)
    except IdentifierError:
        return False
    return True


def is_individual_business(code: str) -> bool:
    """Whether the code was given to an individual business (个体工商户)."""
    return code.startswith(INDIVIDUAL_PREFIX)
