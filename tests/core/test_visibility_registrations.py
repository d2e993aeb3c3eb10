"""The platform apps register every model a client can reach with the visibility gate."""

from collections.abc import Callable
from typing import Any

import pytest

from apps.accounts.models import ApiKey, DeviceToken, Role, User
from apps.core.visibility import registered_models, visible
from apps.departments.models import Department, DepartmentMembership
from apps.territory.models import GridAssignment, TerritoryNode

pytestmark = pytest.mark.django_db


def test_platform_models_are_registered() -> None:
    gates = registered_models()
    for model in (TerritoryNode, GridAssignment, Department, DepartmentMembership, ApiKey, DeviceToken, User):
        assert model in gates, model
    assert gates[TerritoryNode].public
    assert not gates[User].public


def test_users_see_themselves_and_dispatchers_their_workers(
    territory: Any, worker_of: Callable[..., User], dispatcher_of: Callable[[str], User], make_user: Any
) -> None:
    mine, elsewhere = worker_of("HC-XY-XA-01"), worker_of("HC-SY-HH-01")
    fresh = make_user(Role.GRID_WORKER)
    dispatcher = dispatcher_of("HC-XY")
    assert set(visible(User, mine)) == {mine}
    assert set(visible(User, dispatcher)) == {dispatcher, mine, fresh}
    assert elsewhere in set(visible(User, make_user(Role.ADMIN)))


def test_device_tokens_are_their_owners(territory: Any, worker_of: Callable[..., User]) -> None:
    a, b = worker_of("HC-XY-XA-01"), worker_of("HC-XY-XA-01")
    mine = DeviceToken.objects.create(
        user=a, device_id="d1", prefix="x", key_hash="1" * 64, expires_at="2100-01-01T00:00Z"
    )
    DeviceToken.objects.create(
        user=b, device_id="d2", prefix="y", key_hash="2" * 64, expires_at="2100-01-01T00:00Z"
    )
    assert list(visible(DeviceToken, a)) == [mine]
