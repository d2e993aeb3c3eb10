"""The department directory and what each caller sees of a department."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.departments.models import Department
from apps.departments.services import department_member_add, department_upsert

pytestmark = pytest.mark.django_db


def test_directory_lists_departments_with_codes(
    territory: Any,
    department: Callable[..., Department],
    api_client: Callable[[Any], APIClient],
    worker_of: Any,
) -> None:
    department(code="T-A", jurisdiction=territory["HC-XY"], level="subdistrict")
    body = api_client(worker_of("HC-XY-XA-01")).get("/api/v1/departments/", {"jurisdiction": "HC-XY"}).json()
    assert [(d["code"], d["jurisdiction"], d["level"]) for d in body["results"]] == [
        ("T-A", "HC-XY", "subdistrict")
    ]


def test_members_visible_to_own_staff_and_dispatcher_of_territory(
    territory: Any, department: Callable[..., Department], api_client: Callable[[Any], APIClient],
    make_user: Any, dispatcher_of: Any,
) -> None:  # fmt: skip
    dept = department(jurisdiction=territory["HC-XY"], level="subdistrict")
    staff = make_user(Role.DEPARTMENT_STAFF)
    department_member_add(department=dept, user=staff, title="值班民警")
    for caller in (staff, dispatcher_of("HC-XY"), make_user(Role.ADMIN)):
        members = api_client(caller).get(f"/api/v1/departments/{dept.pk}/members/").json()
        assert [m["username"] for m in members] == [staff.username]
    assert (
        api_client(dispatcher_of("HC-SY")).get(f"/api/v1/departments/{dept.pk}/members/").status_code == 404
    )


def test_api_key_list_shows_prefix_never_secret(
    territory: Any, department: Callable[..., Department], api_key_of: Any, make_user: Any, api_client: Any
) -> None:
    dept = department()
    key, secret = api_key_of(dept)
    body = api_client(make_user(Role.ADMIN)).get(f"/api/v1/departments/{dept.pk}/api-keys/").json()
    assert body[0]["prefix"] == key.prefix
    assert secret not in str(body)


def test_department_level_follows_jurisdiction_and_grids_are_refused(territory: Any) -> None:
    dept = department_upsert(code="T-X", name="测试", jurisdiction=territory["HC-XY-XA"])
    assert dept.level == "community"
    with pytest.raises(ValidationError):
        department_upsert(code="T-Y", name="测试", jurisdiction=territory["HC-XY-XA-01"])


def test_only_department_staff_become_members(territory: Any, department: Any, make_user: Any) -> None:
    with pytest.raises(ValidationError):
        department_member_add(department=department(), user=make_user(Role.GRID_WORKER))
