"""Validation of Chinese personal identifiers: resident ID numbers (GB 11643-1999) and phone numbers."""

import datetime as dt
import re

from django.utils.translation import gettext as _

ID_RE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
# First two digits: the province-level division (GB/T 2260).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
)  # fmt: skip
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


class IdentifierError(ValueError):
    """A personal identifier that breaks a rule; ``rule`` names it, the message explains it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def parse_id_number(value: str, *, today: dt.date | None = None) -> tuple[dt.date, str]:
    """Validate an 18-character resident ID number; return its (birth date, gender).

    Rules: the format, a known province code, a real birth date not in the future and after 1900, and
    the check character.
    """
    number = normalise_id_number(value)
    if not ID_RE.match(number):
        raise IdentifierError("id_format", _("An ID number has 17 digits and a digit or X."))
    if int(number[:2]) not in PROVINCE_CODES:
        raise IdentifierError(
            "id_area", _("The ID number's area code %(code)s does not exist.") % {"code": number[:6]}
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdentifierError("id_birth_date", _("The ID number's birth date is not a real date.")) from exc
    if not dt.date(1900, 1, 1) <= birth <= (today or dt.date.today()):  # noqa: DTZ011 - a calendar date
        raise IdentifierError("id_birth_date", _("The ID number's birth date is implausible."))
    if check_character(number[:17]) != number[17]:
        raise IdentifierError("id_checksum", _("The ID number's check character is wrong."))
    gender = "male" if int(number[16]) % 2 else "female"
    return birth, gender


def normalise_phone(value: str) -> str:
    phone = re.sub(r"[\s()]", "", value)
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def validate_phone(value: str) -> str:
    """A mainland mobile (11 digits starting 13–19) or landline (area code + number); normalised."""
    phone = normalise_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        raise IdentifierError("phone_format", _("Not a mainland mobile or landline number."))
    return phone.replace("-", "")


def mask_id_number(value: str) -> str:
    """``350205********1234``: area code and last four kept."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    """``138****5678``."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_passport(value: str) -> str:
    """``E1*****78``: first and last two kept."""
    return value[:2] + "*" * (len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


# The masks of the personal numbers, by their field names in the API.
NUMBER_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "passport_number": mask_passport}
