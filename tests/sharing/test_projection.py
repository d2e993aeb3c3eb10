"""The projection of one change under a grant: the rule every feed, webhook and REST read goes through."""

from typing import Any

from apps.sharing.projection import Catalogue, project

CATALOGUE = Catalogue({
    ("person", "name"): ("internal", False),
    ("person", "id_number"): ("sensitive", True),
    ("person", "phone"): ("sensitive", True),
    ("person", "notes"): ("internal", True),
    ("person", "tags"): ("special", False),
    ("person", "location"): ("sensitive", False),
    ("building", "name"): ("public", False),
})  # fmt: skip


def _person(**data: Any) -> dict[str, Any]:
    return {"type": "person", "id": "7c0e4a52-1d84-4be1-9a4e-0b8f0f5f7d11", "version": 2, "deleted": False,
            "geometry": {"type": "Point", "coordinates": [118.1, 24.5]}, "data": data}  # fmt: skip


def test_granted_fields_in_full_protected_ones_logged() -> None:
    granted = frozenset({"person.name", "person.id_number", "person.tags", "person.location"})
    change = _person(name="张三", id_number="350205199001011234", tags=[], phone=None, secret="x")
    projected, revealed = project(change, granted=granted, catalogue=CATALOGUE)
    assert projected["data"] == {"name": "张三", "id_number": "350205199001011234", "tags": []}
    assert projected["geometry"] == change["geometry"]
    assert revealed == ["id_number", "location"]  # empty tags reveal nothing; the name is not protected


def test_ungranted_maskable_fields_masked_the_rest_left_out() -> None:
    granted = frozenset({"person.name"})
    change = _person(
        name="李四", id_number="350205199001011234", phone="13812345678", notes="门口有狗", tags=["x"]
    )
    projected, revealed = project(change, granted=granted, catalogue=CATALOGUE)
    assert projected["data"] == {
        "name": "李四", "id_number": "350205********1234", "phone": "138****5678", "notes": "****",
    }  # fmt: skip
    assert projected["geometry"] is None
    assert revealed == []


def test_the_same_grant_twice_and_another_grant_are_each_planned_right() -> None:
    change = _person(name="王五", id_number="350205199001011234")
    wide, narrow = frozenset({"person.name", "person.id_number"}), frozenset({"person.name"})
    for _ in range(2):
        assert (
            project(change, granted=wide, catalogue=CATALOGUE)[0]["data"]["id_number"] == "350205199001011234"
        )
        assert (
            project(change, granted=narrow, catalogue=CATALOGUE)[0]["data"]["id_number"]
            == "350205********1234"
        )
    assert project(change, granted={"person.name"}, catalogue=CATALOGUE)[1] == []  # a plain set works too


def test_tombstones_pass_unchanged() -> None:
    stone = {"type": "person", "id": "x", "deleted": True, "reason": "merged"}
    assert project(stone, granted=frozenset(), catalogue=CATALOGUE) == (stone, [])
