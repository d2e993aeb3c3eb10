"""Shared fixtures: the demo territory, users of every role, authenticated API clients."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey, Role, User
from apps.accounts.services import api_key_create, device_token_issue
from apps.demo.territory import haicang_features
from apps.departments.models import Department
from apps.territory.models import TerritoryNode
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory

# A point inside 新垵村 grid 01 (HC-XY-XA-01) and one inside 海虹社区 grid 01 (HC-SY-HH-01).
POINT_XA_01 = (118.0230, 24.4850)
POINT_HH_01 = (118.0550, 24.4350)


def ensure_territory() -> None:
    if not TerritoryNode.objects.filter(code="HC-XY-XA-01").exists():
        from apps.territory.services import territory_import

        report = territory_import(feature_collection=haicang_features())
        assert report.ok, report.as_dict()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        ensure_territory()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def territory(db: Any) -> dict[str, TerritoryNode]:
    """The demo territory (Haicang), by code."""
    ensure_territory()
    return {node.code: node for node in TerritoryNode.objects.defer("boundary")}


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str = Role.GRID_WORKER, **kwargs: Any) -> User:
        if role == Role.ADMIN:
            kwargs.setdefault("is_superuser", True)
            kwargs.setdefault("is_staff", True)
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def worker_of(territory: dict[str, TerritoryNode], make_user: Callable[..., User]) -> Callable[..., User]:
    """A grid worker serving the given grid codes from today."""

    def make(*grid_codes: str) -> User:
        worker = make_user(Role.GRID_WORKER)
        for code in grid_codes:
            grid_assignment_create(worker=worker, grid=territory[code], valid_from=today())
        return worker

    return make


@pytest.fixture
def dispatcher_of(
    territory: dict[str, TerritoryNode], make_user: Callable[..., User]
) -> Callable[[str], User]:
    def make(code: str) -> User:
        return make_user(Role.DISPATCHER, territory=territory[code])

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def department(territory: dict[str, TerritoryNode]) -> Callable[..., Department]:
    def make(**kwargs: Any) -> Department:
        return DepartmentFactory(**kwargs)

    return make


@pytest.fixture
def api_key_of() -> Callable[[Department], tuple[ApiKey, str]]:
    def make(dept: Department) -> tuple[ApiKey, str]:
        issued = api_key_create(department=dept, name="test system")
        return issued.record, issued.secret

    return make


def bearer_client(secret: str | None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api_client(db: Any) -> Callable[[Any], APIClient]:
    """``api_client(user)`` signs the user in on a device; ``api_client("gdk_…")`` uses an API key;
    ``api_client(None)`` is anonymous."""

    def make(who: Any) -> APIClient:
        if who is None or isinstance(who, str):
            return bearer_client(who)
        issued = device_token_issue(username=who.username, password=TEST_PASSWORD, device_id=f"test-{who.pk}")
        return bearer_client(issued.secret)

    return make
