"""Sign-in failures are throttled per (username, client) and per client: an attacker can neither lock the
owner out nor try many names; colleagues signing in successfully behind one address are not counted."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER, OWNER, OTHER = "203.0.113.5", "198.51.100.7", "192.0.2.9"


def _with_rates(**rates: str) -> Any:
    config = dict(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **rates}  # type: ignore[dict-item]
    return override_settings(REST_FRAMEWORK=config)


def sign_in(client: Any, username: str, address: str, password: str = "wrong") -> int:  # noqa: S107
    body = {"username": username, "password": password, "device_id": "d"}
    return int(client.post("/api/v1/auth/token/", body, format="json", REMOTE_ADDR=address).status_code)


def test_guessing_from_one_client_does_not_lock_the_owner_out(
    make_user: Callable[..., Any], api_client: Callable[[Any], Any]
) -> None:
    user, client = make_user(), api_client(None)
    assert [sign_in(client, user.username, ATTACKER) for _ in range(10)] == [401] * 10
    assert sign_in(client, user.username, ATTACKER) == 429
    assert sign_in(client, user.username, ATTACKER, TEST_PASSWORD) == 429  # the attacker stays stopped
    assert sign_in(client, user.username, OWNER, TEST_PASSWORD) == 201  # before: 429 for a minute


def test_one_client_cannot_spray_many_usernames(
    make_user: Callable[..., Any], api_client: Callable[[Any], Any]
) -> None:
    client = api_client(None)
    with _with_rates(login_client="5/min"):
        names = [make_user().username for _ in range(7)]
        assert [sign_in(client, name, ATTACKER) for name in names[:5]] == [401] * 5
        assert sign_in(client, names[5], ATTACKER) == 429  # a sixth name from the same client
        assert sign_in(client, names[6], OTHER) == 401  # another client is not affected


def test_successful_sign_ins_behind_one_address_are_not_counted(
    make_user: Callable[..., Any], api_client: Callable[[Any], Any]
) -> None:
    client = api_client(None)
    with _with_rates(login_client="3/min", login="3/min"):
        users = [make_user() for _ in range(6)]
        assert [sign_in(client, u.username, OWNER, TEST_PASSWORD) for u in users] == [201] * 6
