"""Bad query parameters and forged list cursors are a 4xx, never a 5xx."""

import base64
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

CASES = [
    ("/api/v1/buildings/", {"bbox": "abc"}),
    ("/api/v1/buildings/", {"bbox": "nan,nan,nan,nan"}),
    ("/api/v1/buildings/", {"bbox": "118,24,inf,25"}),
    ("/api/v1/buildings/", {"near": "nan,nan,100"}),
    ("/api/v1/buildings/", {"near": "118.02,24.48,nan"}),
    ("/api/v1/buildings/", {"near": "118.02,89.9999999,5000"}),
    ("/api/v1/buildings/", {"near": "118.02,90,5000"}),
    ("/api/v1/buildings/", {"near": "118.02,-90,5000"}),
    ("/api/v1/buildings/", {"address": "\x00"}),
    ("/api/v1/buildings/", {"use": "castle"}),
    ("/api/v1/buildings/", {"page_size": "-1"}),
    ("/api/v1/buildings/", {"page_size": "1000000000"}),
    ("/api/v1/buildings/", {"page_size": "abc"}),
    ("/api/v1/buildings/", {"cursor": "!!!"}),
    ("/api/v1/people/", {"tags": "unknown"}),
    ("/api/v1/people/", {"name": "\x00"}),
    ("/api/v1/people/", {"community": "\x00"}),
    ("/api/v1/residences/", {"person": "not-a-uuid"}),
    ("/api/v1/residences/", {"current": "maybe"}),
    ("/api/v1/events/", {"since": "yesterday"}),
    ("/api/v1/events/", {"priority": "abc"}),
    ("/api/v1/events/", {"status": "bogus"}),
    ("/api/v1/events/", {"overdue": "abc"}),
    ("/api/v1/events/", {"category": "\x00"}),
    ("/api/v1/events/", {"near": "1e400,1,1"}),
    ("/api/v1/territory/nodes/", {"simplify": "-1"}),
    ("/api/v1/territory/nodes/", {"simplify": "nan"}),
    ("/api/v1/territory/nodes/", {"simplify": "inf"}),
    ("/api/v1/territory/nodes/", {"simplify": "abc"}),
    ("/api/v1/territory/nodes/", {"within": "\x00"}),
    ("/api/v1/territory/nodes/", {"level": "planet"}),
    ("/api/v1/territory/nodes/HC-XY/", {"simplify": "nan"}),
    ("/api/v1/territory/locate/", {"lon": "abc", "lat": "24.48"}),
    ("/api/v1/territory/locate/", {"lon": "nan", "lat": "nan"}),
    ("/api/v1/territory/locate/", {"lon": "118.02", "lat": "24.48", "crs": "gcj02x"}),
    ("/api/v1/territory/locate/", {"lon": "nan", "lat": "24.48", "crs": "gcj02"}),
    ("/api/v1/territory/locate/", {"lon": "nan", "lat": "24.48", "crs": "bd09"}),
    ("/api/v1/territory/assignments/", {"active_on": "2026-02-30"}),
    ("/api/v1/territory/assignments/", {"worker": "x"}),
    ("/api/v1/departments/", {"level": "x"}),
    ("/api/v1/departments/not-a-uuid/", {}),
    ("/api/v1/departments/not-a-uuid/members/", {}),
    ("/api/v1/sharing/access-log/", {"record_id": "x"}),
    ("/api/v1/sharing/access-log/", {"since": "x"}),
    ("/api/v1/sharing/access-log/", {"channel": "x"}),
    ("/api/v1/sharing/access-log/", {"department": "x"}),
    ("/api/v1/sharing/subscriptions/not-a-uuid/", {}),
    ("/api/v1/sharing/deliveries/", {"endpoint": "x", "status": "x"}),
    ("/api/v1/sharing/deliveries/not-a-uuid/", {}),
    ("/api/v1/sharing/endpoints/not-a-uuid/", {}),
    ("/api/v1/registry/reviews/", {"status": "x", "record_type": "x"}),
    ("/api/v1/registry/reviews/not-a-uuid/", {}),
    ("/api/v1/registry/merges/not-a-uuid/", {}),
    ("/api/v1/sync/conflicts/", {"status": "x", "record_type": "x"}),
    ("/api/v1/sync/conflicts/not-a-uuid/", {}),
    ("/api/v1/residences/not-a-uuid/", {}),
    ("/api/v1/people/not-a-uuid/", {}),
    ("/api/v1/buildings/not-a-uuid/", {}),
    ("/api/v1/events/notices/", {"page_size": "0"}),
    ("/api/v1/sync/pull/", {"limit": "0"}),
    ("/api/v1/sync/pull/", {"limit": "-1"}),
    ("/api/v1/sync/pull/", {"limit": "1000000000"}),
    ("/api/v1/sync/pull/", {"limit": "1e3"}),
    ("/api/v1/sync/pull/", {"types": "castle"}),
    ("/api/v1/sync/pull/", {"types": ","}),
    ("/api/v1/sync/pull/", {"cursor": "abc"}),
    ("/api/v1/sync/pull/", {"cursor": "a" * 5000}),
    ("/api/v1/attachments/not-a-hash/", {}),
    ("/api/v1/attachments/" + "0" * 64 + "/", {}),
]


@pytest.mark.parametrize(("path", "params"), CASES, ids=[f"{p}?{q}" for p, q in CASES])
def test_bad_parameters_are_not_a_5xx(api_client: Any, admin_user: Any, path: str, params: dict) -> None:
    client = api_client(admin_user)
    client.raise_request_exception = False
    response = client.get(path, params)
    assert response.status_code < 500, (path, params, response.status_code)


def forged_drf_cursor(position: str) -> str:
    """A DRF cursor (base64 of the query string DRF encodes) with a chosen position."""
    return base64.b64encode(f"p={position}".encode()).decode()


def test_access_log_with_a_forged_cursor_is_not_a_500(api_client: Any, admin_user: Any) -> None:
    client = api_client(admin_user)
    client.raise_request_exception = False
    response = client.get("/api/v1/sharing/access-log/", {"cursor": forged_drf_cursor("abc")})
    assert response.status_code in {400, 404}, response.status_code


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/buildings/",
        "/api/v1/people/",
        "/api/v1/residences/",
        "/api/v1/events/",
        "/api/v1/registry/reviews/",
        "/api/v1/registry/merges/",
        "/api/v1/sync/conflicts/",
        "/api/v1/territory/nodes/",
        "/api/v1/territory/assignments/",
        "/api/v1/departments/",
        "/api/v1/sharing/subscriptions/",
        "/api/v1/sharing/deliveries/",
        "/api/v1/sharing/endpoints/",
        "/api/v1/events/notices/",
        "/api/v1/events/triage/",
    ],
)
@pytest.mark.parametrize("position", ["abc", "2026-13-45", "99999999999999999999999"])
def test_lists_with_a_forged_cursor_are_not_a_500(
    api_client: Any, admin_user: Any, path: str, position: str
) -> None:
    client = api_client(admin_user)
    client.raise_request_exception = False
    response = client.get(path, {"cursor": forged_drf_cursor(position)})
    assert response.status_code < 500, (path, position, response.status_code)


# --- hostile input: deep nesting, lone surrogates, NUL bytes, impossible timestamps -------------------

DEEP = b'{"username": ' + b"[" * 5000 + b"]" * 5000 + b"}"
SURROGATE = "\\ud800"  # as a client writes it in JSON: a lone UTF-16 surrogate, not a character


def _is_problem_400(response: Any) -> bool:
    return response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token/", "/api/v1/people/", "/api/v1/sync/push/", "/api/v1/events/"]
)
def test_deeply_nested_json_is_a_400(api_client: Any, admin_user: Any, path: str) -> None:
    client = api_client(None if path == "/api/v1/auth/token/" else admin_user)
    client.raise_request_exception = False
    response = client.post(path, DEEP, content_type="application/json")
    assert _is_problem_400(response), (response.status_code, response.content[:200])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token/", '{"username": "@", "password": "x", "device_id": "d"}'),
        (
            "/api/v1/sync/push/",
            '{"device_id": "d", "mutations": [{"mutation_id": "@", "type": "building",'
            ' "op": "create", "data": {}}]}',
        ),
        (
            "/api/v1/sync/push/",
            '{"device_id": "d", "mutations": [{"mutation_id": "00000000-0000-4000-8000-000000000001",'
            ' "type": "building", "op": "create", "data": {"address": "a@"}}]}',
        ),
        (
            "/api/v1/people/",
            '{"name": "@", "location": {"type": "Point", "coordinates": [118, 24]}}',
        ),
    ],
)
def test_lone_surrogates_in_a_body_are_a_400(api_client: Any, admin_user: Any, path: str, body: str) -> None:
    client = api_client(None if path == "/api/v1/auth/token/" else admin_user)
    client.raise_request_exception = False
    response = client.post(path, body.replace("@", SURROGATE).encode(), content_type="application/json")
    assert _is_problem_400(response), (response.status_code, response.content[:200])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/triage/?since=0678-11-24T16:01:52%2B21:10",
        "/api/v1/events/?since=0678-11-24T16:01:52%2B21:10",
        "/api/v1/sharing/access-log/?since=0001-01-01T00:00:00%2B23:59",
        "/api/v1/sync/pull/?cursor=%ED%A0%80",
        "/api/v1/sync/pull/?cursor=" + base64.urlsafe_b64encode(b'{"v": "\\ud800"}').decode(),
        "/api/v1/attachments/%00%00%00%00/",
        "/api/v1/attachments/" + "%00" * 64 + "/",
        "/api/v1/buildings/?address=%00",
    ],
)
def test_hostile_urls_are_a_400_or_404(api_client: Any, admin_user: Any, url: str) -> None:
    client = api_client(admin_user)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code in {400, 404, 410}, (url, response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/problem+json")
