"""Normalisation of Chinese addresses and names, so that the same thing written differently compares equal."""

import re
import unicodedata
from difflib import SequenceMatcher

from pypinyin import lazy_pinyin

# Traditional or variant characters that occur in addresses, mapped to the simplified form.
_VARIANTS = str.maketrans(
    {"號": "号", "幢": "栋", "座": "栋", "棟": "栋", "樓": "楼", "單": "单", "區": "区", "門": "门", "鎮": "镇",
     "廈": "厦", "滄": "沧", "陽": "阳", "嶼": "屿", "東": "东", "縣": "县", "裡": "里", "衚": "胡", "衕": "同"}
)  # fmt: skip
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=号|栋|单元|室|楼|层|弄|巷|组|期|区)")
_PREFIX = re.compile(
    # 社区 (community) and 小区/园区 (estates) end in 区 too, but are part of the address proper.
    r"^(?:中国)?(?:[^省市区县]{2,8}省)?(?:[^省市区县]{2,8}市)?(?:[^省市区县街]{1,8}(?<![社小园])(?:区|县))?"
    r"(?:[^省市区县街]{1,8}(?:街道|镇|乡))?"
)
_NOISE = re.compile(r"[\s\-—_,，.。、·•()（）\[\]【】#:：;；/]+")
_HOUSE = re.compile(r"(\d+(?:之\d+)?)号")
_BLOCK = re.compile(r"(\d+)栋")


def chinese_numeral(text: str) -> int:
    """``二十三`` → 23, ``五`` → 5, ``一百零八`` → 108; digit strings like ``五二九`` → 529."""
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
    return total + current


def normalise_address(text: str) -> str:
    """Comparable form: half-width, simplified variants, numerals as digits, no prefix above the community."""
    value = unicodedata.normalize("NFKC", text or "").translate(_VARIANTS).lower()
    value = _NOISE.sub("", value)
    value = _CN_NUMBER.sub(lambda m: str(chinese_numeral(m.group())), value)
    return _PREFIX.sub("", value, count=1) or value


def house_key(normalised: str) -> tuple[str | None, str | None]:
    """(house number, block number) of a normalised address, e.g. ``新垵村529号5栋`` → ("529", "5")."""
    house = _HOUSE.search(normalised)
    block = _BLOCK.search(normalised)
    return (house.group(1) if house else None, block.group(1) if block else None)


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two short strings."""
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def normalise_name(name: str) -> str:
    return re.sub(r"[\s·•.]+", "", unicodedata.normalize("NFKC", name or ""))


# Keys are compared whole: a name long enough to reach the limit (a hundred characters may spell six hundred
# letters) is told apart by its first ones.
NAME_KEY_LENGTH = 200


def name_key(name: str) -> str:
    """Toneless pinyin of a name: homophones and traditional/simplified variants share a key."""
    return "".join(lazy_pinyin(normalise_name(name))).lower()[:NAME_KEY_LENGTH]


def edit_distance_at_most_one(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] != b[j]:
            edits += 1
            if edits > 1:
                return False
            if len(a) == len(b):
                i += 1
        else:
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1
