"""Object-level authorisation across the foundation's endpoints (see tests/authorization.py)."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.departments.services import department_member_add
from tests.authorization import Case, assert_hidden_from_outsider

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    territory: Any, worker_of: Any, dispatcher_of: Any, department: Any, api_key_of: Any, make_user: Any
) -> dict[str, Any]:
    worker_a, worker_b = worker_of("HC-XY-XA-01"), worker_of("HC-SY-HH-01")
    police, civil = department(code="T-POLICE"), department(code="T-CIVIL")
    staff_police = make_user(Role.DEPARTMENT_STAFF)
    department_member_add(department=police, user=staff_police)
    return {
        "worker_a": worker_a,
        "worker_b": worker_b,
        "assignment_a": worker_a.grid_assignments.get(),
        "dispatcher_xy": dispatcher_of("HC-XY"),
        "dispatcher_sy": dispatcher_of("HC-SY"),
        "police": police,
        "civil": civil,
        "staff_police": staff_police,
        "key_police": api_key_of(police)[1],
        "key_civil": api_key_of(civil)[1],
    }


CASES = [
    Case("assignment of grid A, worker of grid B", "get",
         lambda w: f"/api/v1/territory/assignments/{w['assignment_a'].pk}/", "worker_a", "worker_b"),
    Case("assignment of grid A, dispatcher of another subdistrict", "get",
         lambda w: f"/api/v1/territory/assignments/{w['assignment_a'].pk}/", "dispatcher_xy", "dispatcher_sy"),
    Case("ending an assignment outside the dispatcher's territory", "post",
         lambda w: f"/api/v1/territory/assignments/{w['assignment_a'].pk}/end/", "dispatcher_xy", "dispatcher_sy",
         body=lambda w: {"valid_to": "2030-01-01"}),
    Case("a department's members, another department's key", "get",
         lambda w: f"/api/v1/departments/{w['police'].pk}/members/", "key_police", "key_civil"),
    Case("a department's API keys, another department's key", "get",
         lambda w: f"/api/v1/departments/{w['police'].pk}/api-keys/", "key_police", "key_civil"),
    Case("a department's members, a grid worker", "get",
         lambda w: f"/api/v1/departments/{w['police'].pk}/members/", "staff_police", "worker_a"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outsider_gets_404(case: Case, world: dict[str, Any], api_client: Callable[[Any], APIClient]) -> None:
    assert_hidden_from_outsider(case, world, api_client)
