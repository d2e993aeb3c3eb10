"""Every list is safe against odd filter and cursor values: a 2xx or a 4xx problem, and the request after it works.

A value PostgreSQL refuses aborts the transaction the request runs in; under a transaction that spans requests
(the test client's, a caller's atomic block) the next request then fails. Each input class is checked on a
list that shows it, then on every list of the committed schema that takes such a parameter.
"""

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import yaml

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text("utf-8"))

# The request CI reported as a 500: it only failed because a request before it had aborted the transaction.
REPORTED = (
    "/api/v1/patrols/?grid=%F2%8E%86%92%C2%B9%7B%0A%5B&started_before=0317-03-12T23%3A35%3A38.66Z"
    "&worker=b2808b07-7fd5-238e-a00e-fd8340a58757&cursor=%C2%AB%C2%94%04%C3%A3%C2%9EV%C2%86&page_size=429"
)
ODD_OFFSET = "0788-10-11T13:01:17-21:49"  # a valid Python datetime; PostgreSQL refuses the offset
BEFORE_YEAR_ONE = "0001-01-01T00:00:00+05:00"  # no UTC form in years 1-9999


def cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def list_parameters(kind: str) -> list[tuple[str, str]]:
    """(path, parameter) of every list without path parameters whose query parameter is of this kind."""
    found = []
    for path, item in SCHEMA["paths"].items():
        if "{" in path or "get" not in item or path == "/api/v1/sync/pull/":  # the pull's cursor is signed
            continue
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            is_kind = (
                parameter["name"] == "cursor"
                if kind == "cursor"
                else parameter.get("schema", {}).get("format") == "date-time"
            )
            if is_kind:
                found.append((path, parameter["name"]))
    return found


@pytest.fixture
def worker_client(api_client: Any, worker_of: Any) -> Any:
    return api_client(worker_of("HC-XY-XA-01"))


@pytest.fixture
def admin_client(api_client: Any, admin_user: Any) -> Any:
    return api_client(admin_user)


def test_the_reported_request_is_an_invalid_cursor(worker_client: Any) -> None:
    response = worker_client.get(REPORTED)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_time_with_an_offset_no_zone_has_is_a_field_error(worker_client: Any) -> None:
    response = worker_client.get(f"/api/v1/patrols/?started_before={quote(ODD_OFFSET)}")
    assert response.status_code == 400, response.content
    assert "started_before" in response.json()["errors"]
    # The transaction is intact: the next request of the same transaction works.
    assert worker_client.get(REPORTED.replace("cursor=", "x=")).status_code == 200


def test_a_time_before_year_one_in_utc_is_a_field_error(worker_client: Any) -> None:
    response = worker_client.get(f"/api/v1/patrols/?started_after={quote(BEFORE_YEAR_ONE)}")
    assert response.status_code == 400
    assert "started_after" in response.json()["errors"]


def test_a_time_with_a_real_far_offset_is_compared_in_utc(worker_client: Any) -> None:
    response = worker_client.get(f"/api/v1/patrols/?started_before={quote('2026-01-01T00:00:00+14:00')}")
    assert response.status_code == 200, response.content


def test_control_characters_and_four_byte_text_in_a_code_find_nothing(worker_client: Any) -> None:
    response = worker_client.get("/api/v1/patrols/?grid=%F2%8E%86%92%C2%B9%7B%0A%5B")
    assert response.status_code == 200
    assert response.json()["features"] == []


def test_nul_in_a_code_is_a_field_error(worker_client: Any) -> None:
    response = worker_client.get("/api/v1/visits/?grid=a%00b")
    assert response.status_code == 400
    assert "grid" in response.json()["errors"]


def test_a_huge_page_size_is_capped(worker_client: Any, settings: Any) -> None:
    settings.API_MAX_PAGE_SIZE = 5
    response = worker_client.get("/api/v1/patrols/?page_size=99999999999999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "position",
    [BEFORE_YEAR_ONE, "a\x00b", "not a time", "9" * 400],
    ids=["before year one", "NUL", "not a time", "huge"],
)
def test_a_forged_time_position_is_an_invalid_cursor(admin_client: Any, position: str) -> None:
    # Assignments and task notices are ordered by creation time.
    for path in ("/api/v1/territory/assignments/", "/api/v1/tasks/notices/"):
        response = admin_client.get(f"{path}?cursor={quote(cursor(position))}")
        assert response.status_code == 404, (path, response.content)
        assert response.json()["code"] == "not_found"
    assert admin_client.get("/api/v1/territory/assignments/").status_code == 200


def test_a_time_position_with_an_odd_offset_is_read_in_utc(admin_client: Any) -> None:
    response = admin_client.get(f"/api/v1/territory/assignments/?cursor={quote(cursor(ODD_OFFSET))}")
    assert response.status_code == 200
    assert admin_client.get("/api/v1/territory/assignments/").status_code == 200


def test_a_forged_text_position_with_nul_is_an_invalid_cursor(admin_client: Any) -> None:
    # Departments are ordered by code: any text is a position, but not one with NUL.
    response = admin_client.get(f"/api/v1/departments/?cursor={quote(cursor('a' + chr(0) + 'b'))}")
    assert response.status_code == 404
    assert admin_client.get(f"/api/v1/departments/?cursor={quote(cursor('HC'))}").status_code == 200


@pytest.mark.parametrize(("path", "name"), list_parameters("date-time"))
@pytest.mark.parametrize("value", [ODD_OFFSET, BEFORE_YEAR_ONE, "9999-12-31T23:59:59.999999-14:00"])
def test_every_time_filter_of_every_list(admin_client: Any, path: str, name: str, value: str) -> None:
    response = admin_client.get(f"{path}?{name}={quote(value)}")
    assert response.status_code in {200, 400}, response.content
    if response.status_code == 400:
        assert name in response.json()["errors"]
    assert admin_client.get(path).status_code == 200


@pytest.mark.parametrize(("path", "name"), list_parameters("cursor"))
@pytest.mark.parametrize("position", [ODD_OFFSET, "a\x00b"], ids=["odd offset", "NUL"])
def test_every_cursor_of_every_list(admin_client: Any, path: str, name: str, position: str) -> None:
    response = admin_client.get(f"{path}?{name}={quote(cursor(position))}")
    assert response.status_code in {200, 400, 404}, response.content
    assert response.status_code < 400 or response["Content-Type"] == "application/problem+json"
    assert admin_client.get(path).status_code == 200
