"""Department API keys and per-credential throttling."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_revoke
from apps.departments.models import Department
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


def test_api_key_authenticates_as_its_department(
    department: Callable[..., Department], api_key_of: Any
) -> None:
    dept = department()
    key, secret = api_key_of(dept)
    body = bearer_client(secret).get("/api/v1/auth/me/").json()
    assert body == {
        "kind": "department_system",
        "user": None,
        "grids": [],
        "territory": None,
        "department": dept.code,
    }
    assert secret.startswith(f"gdk_{key.prefix}_")
    assert ApiKey.objects.get().key_hash != secret
    assert ApiKey.objects.get().last_used_at is not None


def test_revoked_or_expired_key_is_refused(department: Callable[..., Department], api_key_of: Any) -> None:
    key, secret = api_key_of(department())
    api_key_revoke(key=key)
    assert bearer_client(secret).get("/api/v1/auth/me/").status_code == 401
    key2, secret2 = api_key_of(department())
    ApiKey.objects.filter(pk=key2.pk).update(expires_at=timezone.now())
    assert bearer_client(secret2).get("/api/v1/auth/me/").status_code == 401


def test_key_of_inactive_department_is_refused(
    department: Callable[..., Department], api_key_of: Any
) -> None:
    dept = department()
    _, secret = api_key_of(dept)
    Department.objects.filter(pk=dept.pk).update(is_active=False)
    assert bearer_client(secret).get("/api/v1/auth/me/").status_code == 401


def test_key_cannot_sign_out_as_a_device(department: Callable[..., Department], api_key_of: Any) -> None:
    _, secret = api_key_of(department())
    assert bearer_client(secret).delete("/api/v1/auth/token/").status_code == 400


def _with_rates(**rates: str) -> Any:
    config = dict(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **rates}  # type: ignore[dict-item]
    return override_settings(REST_FRAMEWORK=config)


def test_each_key_has_its_own_budget(department: Callable[..., Department], api_key_of: Any) -> None:
    with _with_rates(apikey="3/min"):
        _, first = api_key_of(department())
        _, second = api_key_of(department())
        codes = [bearer_client(first).get("/api/v1/auth/me/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert bearer_client(second).get("/api/v1/auth/me/").status_code == 200
        throttled = bearer_client(first).get("/api/v1/auth/me/")
        assert throttled["Content-Type"] == "application/problem+json"
        assert int(throttled["Retry-After"]) > 0
        assert throttled.json()["status"] == 429


def test_each_device_token_has_its_own_budget(make_user: Callable[..., Any], api_client: Any) -> None:
    with _with_rates(device="2/min"):
        first, second = api_client(make_user()), api_client(make_user())
        assert [first.get("/api/v1/auth/me/").status_code for _ in range(3)] == [200, 200, 429]
        assert second.get("/api/v1/auth/me/").status_code == 200


def test_password_guessing_is_throttled_per_username(make_user: Callable[..., Any]) -> None:
    user = make_user()
    codes = [
        bearer_client(None)
        .post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "x", "device_id": "d"},
            format="json",
        )
        .status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
