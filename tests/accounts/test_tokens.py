"""Device sign-in per sync-protocol.md: POST/DELETE /api/v1/auth/token/."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import DeviceToken, Role, User
from tests.conftest import bearer_client
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(user: User, device_id: str = "phone-1") -> Any:
    return APIClient().post(
        "/api/v1/auth/token/",
        {
            "username": user.username,
            "password": TEST_PASSWORD,
            "device_id": device_id,
            "device_name": "华为 Mate",
        },
        format="json",
    )


def test_sign_in_returns_the_contract_shape(worker_of: Callable[..., User]) -> None:
    worker = worker_of("HC-XY-XA-01", "HC-XY-XA-02")
    response = sign_in(worker)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at", "user", "grids"}
    assert body["user"] == {"id": str(worker.pk), "username": worker.username, "full_name": worker.full_name,
                            "roles": ["grid_worker"]}  # fmt: skip
    assert [g["code"] for g in body["grids"]] == ["HC-XY-XA-01", "HC-XY-XA-02"]
    assert set(body["grids"][0]) == {"id", "code", "name"}
    assert bearer_client(body["token"]).get("/api/v1/auth/me/").status_code == 200


def test_token_is_stored_hashed_only(make_user: Callable[..., User]) -> None:
    token = sign_in(make_user()).json()["token"]
    stored = DeviceToken.objects.get()
    assert token not in (stored.key_hash, stored.prefix)
    assert stored.prefix == token[:12]
    assert len(stored.key_hash) == 64


def test_wrong_password_is_401_problem(make_user: Callable[..., User]) -> None:
    user = make_user()
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "wrong", "device_id": "d"},
        format="json",
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"


def test_missing_fields_are_named() -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password", "device_id"}


def test_revoked_token_stops_working(make_user: Callable[..., User]) -> None:
    client = bearer_client(sign_in(make_user()).json()["token"])
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert DeviceToken.objects.get().revoked_at is not None


def test_expired_token_is_refused(make_user: Callable[..., User]) -> None:
    client = bearer_client(sign_in(make_user()).json()["token"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert client.get("/api/v1/auth/me/").status_code == 401


def test_signing_in_again_on_same_device_revokes_the_old_token(make_user: Callable[..., User]) -> None:
    user = make_user()
    old = sign_in(user, "phone-1").json()["token"]
    other_device = sign_in(user, "tablet").json()["token"]
    new = sign_in(user, "phone-1").json()["token"]
    assert bearer_client(old).get("/api/v1/auth/me/").status_code == 401
    assert bearer_client(new).get("/api/v1/auth/me/").status_code == 200
    assert bearer_client(other_device).get("/api/v1/auth/me/").status_code == 200


def test_last_seen_is_recorded_but_not_on_every_request(make_user: Callable[..., User]) -> None:
    client = bearer_client(sign_in(make_user()).json()["token"])
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        client.get("/api/v1/auth/me/")
        assert DeviceToken.objects.get().last_seen_at == start + dt.timedelta(minutes=10)
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        client.get("/api/v1/auth/me/")
        assert DeviceToken.objects.get().last_seen_at == start + dt.timedelta(minutes=10)


def test_inactive_user_cannot_use_token(make_user: Callable[..., User]) -> None:
    user = make_user()
    client = bearer_client(sign_in(user).json()["token"])
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/v1/auth/me/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Token abc", "Bearer gdt_nonsense"])
def test_malformed_or_unknown_credentials(header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401


def test_me_for_dispatcher_names_territory(
    territory: Any, make_user: Callable[..., User], api_client: Any
) -> None:
    body = api_client(make_user(Role.DISPATCHER, territory=territory["HC-XY"])).get("/api/v1/auth/me/").json()
    assert body["kind"] == "user" and body["territory"] == "HC-XY" and body["user"]["roles"] == ["dispatcher"]
