"""Address and name normalisation."""

import pytest

from apps.core.text import edit_distance_at_most_one, house_key, name_key, normalise_address

SAME = [
    "福建省厦门市海沧区新阳街道新垵村529号",
    "海沧区新垵村529号",
    "新垵村五二九号",
    "新垵村 529 號",
    "新垵村５２９号",
    "厦门市海沧区新阳街道新垵村五百二十九号",
]


@pytest.mark.parametrize("variant", SAME)
def test_address_variants_normalise_alike(variant: str) -> None:
    assert normalise_address(variant) == "新垵村529号"


def test_block_words_unify() -> None:
    assert (
        normalise_address("海虹社区12号5幢") == normalise_address("海虹社区十二号五座") == "海虹社区12号5栋"
    )
    assert house_key("海虹社区12号5栋") == ("12", "5")


def test_names_by_pinyin() -> None:
    assert name_key("陈伟") == name_key("陳偉") == name_key("陈玮") == "chenwei"
    assert name_key("阿依古丽·买买提") == name_key("阿依古丽买买提")


def test_edit_distance() -> None:
    assert edit_distance_at_most_one("陈伟", "陈玮")
    assert edit_distance_at_most_one("chenwei", "chenwe")
    assert not edit_distance_at_most_one("chenwei", "chengwen")
