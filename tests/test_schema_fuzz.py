"""Schema-driven fuzzing of every operation in the committed OpenAPI schema, in-process.

Each operation gets generated valid and invalid requests as an administrator (who may call every
endpoint) and as a grid worker; a response must never be a 5xx and must match the schema.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from apps.accounts.models import Role
from apps.accounts.services import device_token_issue
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, UserFactory

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "openapi" / "schema.yaml"

schema = schemathesis.openapi.from_path(SCHEMA_PATH)
schema.app = get_wsgi_application()

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes the connection after each request; Django's test client prevents that,
    and so must this in-process transport, or the test transaction would be lost."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=[Role.ADMIN, Role.GRID_WORKER])
def auth_headers(request: Any, territory: Any) -> dict[str, str]:
    extra = {"is_superuser": True, "is_staff": True} if request.param == Role.ADMIN else {}
    user = UserFactory(role=request.param, territory=territory["350205"], **extra)
    if request.param == Role.GRID_WORKER:
        grid_assignment_create(worker=user, grid=territory["HC-XY-XA-01"], valid_from=today())
    token = device_token_issue(username=user.username, password=TEST_PASSWORD, device_id="fuzz").secret
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_schema(
    case: schemathesis.Case, auth_headers: dict[str, str], request: pytest.FixtureRequest
) -> None:
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
