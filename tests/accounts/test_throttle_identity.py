"""Sign-in throttling counts the account as sign-in reads its name, and the client by the connection's address:
padding the name, sending it as a number or forging X-Forwarded-For buys no more guesses."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import bearer_client
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str | None = None) -> int:
    """The status of a sign-in as ``username`` (with a wrong password unless one is given)."""
    return (
        bearer_client(None)
        .post(
            "/api/v1/auth/token/",
            {"username": username, "password": password or "wrong", "device_id": "d"},
            format="json",
        )
        .status_code
    )


@pytest.mark.parametrize("variant", [" {u}", "{u} ", "\t{u}\n", "  {u}  "])
def test_login_throttle_cannot_be_bypassed_by_padding_the_username(
    make_user: Callable[..., Any], variant: str
) -> None:
    """The serializer trims the username before authenticating, the throttle keys on it untrimmed: each
    padding is a fresh budget of 10 guesses against the same account."""
    user = make_user()
    assert [sign_in(user.username) for _ in range(10)] == [401] * 10
    assert sign_in(user.username) == 429
    padded = variant.format(u=user.username)
    assert sign_in(padded, TEST_PASSWORD) == 429  # before: 201, the padded name signed in
    assert sign_in(padded) == 429  # before: 401, another guess at the same password


def test_login_throttle_of_a_numeric_username_cannot_be_bypassed_by_sending_it_as_a_json_number(
    make_user: Callable[..., Any],
) -> None:
    """``{"username": 10086}`` is accepted as "10086" by the serializer, but the throttle keys a non-string
    username on the client address instead: the account gets a second budget."""
    user = make_user(username="10086")
    assert [sign_in(user.username) for _ in range(10)] == [401] * 10
    assert sign_in(user.username) == 429
    response = bearer_client(None).post(
        "/api/v1/auth/token/", {"username": 10086, "password": TEST_PASSWORD, "device_id": "d"}, format="json"
    )
    assert response.status_code == 429


def test_the_address_throttle_cannot_be_bypassed_with_a_forged_x_forwarded_for(db: Any) -> None:
    """Without ``NUM_PROXIES`` DRF takes the whole ``X-Forwarded-For`` header as the client address, so a
    client that sends a new one with each request is never counted (password spraying over many names)."""
    client = bearer_client(None)

    def attempt(n: int, **headers: str) -> int:
        body = {"username": f"nobody{n}", "password": "x", "device_id": "d"}
        return client.post("/api/v1/auth/token/", body, format="json", **headers).status_code

    codes = [attempt(n) for n in range(121)]  # anon: 120/min per address (settings default)
    assert codes[:120] == [401] * 120 and codes[120] == 429
    assert attempt(999, HTTP_X_FORWARDED_FOR="203.0.113.7") == 429
