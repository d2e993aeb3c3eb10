"""One error shape everywhere: RFC 9457 problem details, in Chinese by default, English on request."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apps.accounts.models import User

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def client(api_client: Callable[[Any], APIClient], make_user: Callable[..., User]) -> APIClient:
    return api_client(make_user())


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    return body


def test_unknown_url_is_problem_404(client: APIClient) -> None:
    body = assert_problem(client.get("/api/v1/nothing-here/"), 404)
    assert body["instance"] == "/api/v1/nothing-here/"


def test_method_not_allowed_is_problem_405(client: APIClient) -> None:
    assert_problem(client.put("/api/v1/auth/me/", {}), 405)


def test_wrong_media_type_is_problem_415() -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", "username=a", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415)


def test_malformed_json_is_problem_400() -> None:
    response = APIClient().post("/api/v1/auth/token/", "{not json", content_type="application/json")
    body = assert_problem(response, 400)
    assert body["code"] == "parse_error"


def test_wrong_types_name_the_fields() -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": ["a"], "password": {"x": 1}, "device_id": None}, format="json"
    )
    body = assert_problem(response, 400)
    assert set(body["errors"]) == {"username", "password", "device_id"}


def test_json_array_body_is_a_clear_400() -> None:
    response = APIClient().post("/api/v1/auth/token/", [1, 2, 3], format="json")
    body = assert_problem(response, 400)
    assert "non_field_errors" in body["errors"]


def test_oversized_body_is_problem_413_before_it_is_read() -> None:
    with override_settings(GRIDAPI_MAX_REQUEST_BYTES=1000):
        response = APIClient().post("/api/v1/auth/token/", {"username": "x" * 2000}, format="json")
    body = assert_problem(response, 413)
    assert "1000" in body["detail"]


@pytest.mark.urls("tests.core.crash_urls")
def test_unhandled_errors_are_problem_500_without_details(caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    for url in ("/api/v1/crash/", "/crash/"):
        response = client.get(url)
        body = assert_problem(response, 500)
        assert "boom" not in response.content.decode()
        assert "110101" not in response.content.decode()
        assert body["code"] == "server_error"


def test_chinese_by_default_english_on_request(client: APIClient) -> None:
    zh = client.get("/api/v1/nothing-here/").json()
    en = client.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["title"] == "未找到"
    assert en["title"] == "Not found"
    zh_drf = APIClient().get("/api/v1/auth/me/").json()
    en_drf = APIClient().get("/api/v1/auth/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh_drf["title"] == "需要身份认证" and en_drf["title"] == "Authentication required"
    assert (
        "身份认证" in zh_drf["detail"] and en_drf["detail"] == "Authentication credentials were not provided."
    )
