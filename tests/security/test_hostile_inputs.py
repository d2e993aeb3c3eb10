"""Hostile input on every operation of the committed schema: never a 5xx, always a problem document.

Two parts. Schemathesis generates each operation's requests and a ``flatmap_case`` hook (this schema only)
plants edge cases in them — lone surrogates, NUL, RTL marks, 4-byte emoji, combining characters, huge
numbers (1e308, 2**64), dates in year 1 and 9999 and odd offsets. Then what no JSON encoder would send —
bodies nested 5,000 deep, overflowing literals, raw surrogate bytes in paths and query strings — is sent
as bytes to every operation.
"""

import copy
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.accounts.services import device_token_issue
from tests.factories import TEST_PASSWORD, UserFactory

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"

schema = schemathesis.openapi.from_path(SCHEMA_PATH)
schema.app = get_wsgi_application()

ODD_TEXT = [
    "\ud800", "\udfff", "a\x00b", "\x00", "\u202eevil\u202c", "\u200f\u200e\u061c", "😀🀄𠜎", "e\u0301\u0302\u0303",
    "\ufeff", "\uffff", "𠜎" * 200, "x" * 10_000, "", " ",
]  # fmt: skip
HUGE_NUMBERS: list[Any] = [1e308, -1e308, 2**64, -(2**63) - 1, 10**40, 5e-324, -0.0]
EDGE_TIMES = [
    "0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999+14:00",
    "0678-11-24T16:01:52+21:10", "2026-02-30", "2026-11-20T25:61:00+08:00",
]  # fmt: skip
HOSTILE = st.sampled_from([*ODD_TEXT, *HUGE_NUMBERS, *EDGE_TIMES])
# What a URL can carry at all (lone surrogates cannot be encoded into one: the raw part sends their bytes).
HOSTILE_IN_URL = st.sampled_from([t for t in ODD_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]
                                 + [str(n) for n in HUGE_NUMBERS] + EDGE_TIMES)  # fmt: skip


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    yield path


def _put(container: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    container[head] = _put(container[head], tuple(rest), new)
    return container


def _plant(case: Any, body_values: list[Any], url_values: list[str], rnd: random.Random) -> Any:
    body = copy.deepcopy(case.body) if isinstance(case.body, dict | list) else case.body
    if case.media_type and "json" not in case.media_type:
        # A form body is URL-encoded like a query string: lone surrogates cannot be put into one.
        body_values = [v for v in body_values if not (isinstance(v, str) and _has_surrogate(v))]
    if isinstance(body, dict | list) and body_values:
        for value in body_values:
            # Leaves are read again after each plant: a planted value may have replaced a container.
            body = _put(body, rnd.choice(list(_leaves(body))), value)
    query, path_parameters = dict(case.query or {}), dict(case.path_parameters or {})
    for container in (query, path_parameters):
        if container and url_values:
            key = rnd.choice(sorted(container))
            container[key] = rnd.choice(url_values)
    # A new case, made from the values: schemathesis would re-validate an edited generated case against the
    # schema, and its validator cannot encode the lone surrogates planted here.
    return case.operation.Case(
        method=case.method,
        path_parameters=path_parameters,
        headers=case.headers,
        cookies=case.cookies,
        query=query,
        body=body,
        media_type=case.media_type,
    )


@schema.hook
def flatmap_case(context: Any, case: Any) -> Any:
    return st.builds(
        _plant,
        st.just(case),
        st.lists(HOSTILE, min_size=1, max_size=3),
        st.lists(HOSTILE_IN_URL, max_size=2),
        st.randoms(use_true_random=False),
    )


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes the connection after each request; the test transaction must survive it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(territory: Any) -> str:
    """An administrator reaches every operation, so every operation's input is read."""
    user = UserFactory(role=Role.ADMIN, territory=territory["350205"], is_superuser=True, is_staff=True)
    return device_token_issue(username=user.username, password=TEST_PASSWORD, device_id="hostile").secret


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    phases=[
        Phase.explicit,
        Phase.generate,
    ],  # no shrinking: a failure names its input already, and time is bounded
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_planted_edge_cases_are_never_a_server_error(case: schemathesis.Case, admin_token: str) -> None:
    with isolated():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {admin_token}"},
            checks=[schemathesis.checks.not_a_server_error],
        )


@contextmanager
def isolated() -> Iterator[None]:
    """Each request on its own savepoint: a request the database refused must not fail the next ones."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


# --- what no encoder sends: bytes -------------------------------------------------------------------------

DEEP = 5_000
RAW_BODIES = {
    "nested 5,000 deep": b"[" * DEEP + b"]" * DEEP,
    "a field nested 5,000 deep": b'{"username": ' + b"[" * DEEP + b"]" * DEEP + b', "mutations": []}',
    "objects nested 5,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "lone surrogate escapes": b'{"username": "\\ud800", "address": "\\udfff", "mutation_id": "\\ud800", "cursor": "\\ud800"}',
    "raw surrogate bytes": b'{"username": "\xed\xa0\x80", "name": "\xed\xa0\x80"}',
    "overflowing number": b'{"floors": 1e999, "lon": -1e999, "limit": 1' + b"0" * 400 + b"}",
    "NaN and Infinity": b'{"floors": NaN, "accuracy_m": Infinity, "location": {"type": "Point", "coordinates": [NaN, Infinity]}}',
    "not UTF-8": b'{"name": "\xff\xfe\xfa"}',
    "NUL": b'{"name": "a\\u0000b", "\\u0000": 1}',
}  # fmt: skip
RAW_IN_URL = {
    "NUL": "%00%00%00",
    "lone surrogate": "%ED%A0%80",
    "not UTF-8": "%FF%FE",
    "year 678 with +21:10": "0678-11-24T16:01:52%2B21:10",
    "long": "A" * 3000,
}

OPENAPI = yaml.safe_load(SCHEMA_PATH.read_text("utf-8"))
OPERATIONS = sorted(
    (method, path, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
    if method in {"get", "put", "post", "patch", "delete"}
)


def _requests(method: str, path: str, operation: dict[str, Any]) -> Iterator[tuple[str, str, bytes | None]]:
    """(what, url, body) for one operation: each raw value in each path and query parameter, each raw body."""
    params = operation.get("parameters", [])
    path_names = [p["name"] for p in params if p["in"] == "path"]
    query_names = [p["name"] for p in params if p["in"] == "query"]
    plain = path
    for name in path_names:
        plain = plain.replace("{" + name + "}", "01900000-0000-7000-8000-000000000000")
    for what, raw in RAW_IN_URL.items():
        for name in path_names:
            yield (
                f"path {name}: {what}",
                path.replace("{" + name + "}", raw).replace("{", "").replace("}", ""),
                None,
            )
        for name in query_names:
            yield f"query {name}: {what}", f"{plain}?{name}={raw}", None
    if method in {"post", "put", "patch"}:
        for what, body in RAW_BODIES.items():
            yield f"body: {what}", plain, body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _o in OPERATIONS]
)
def test_raw_hostile_bytes_are_problem_documents(
    method: str, path: str, operation: dict[str, Any], admin_token: str
) -> None:
    clients = {"admin": APIClient(), "anonymous": APIClient()}
    clients["admin"].credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    for client in clients.values():
        client.raise_request_exception = False  # a crash is answered 500, as in production, and listed
    failures = []
    for who, client in clients.items():
        for what, url, body in _requests(method, path, operation):
            kwargs: dict[str, Any] = {"HTTP_IF_MATCH": '"1"'}
            if body is not None:
                kwargs.update(data=body, content_type="application/json")
            with isolated():
                response = client.generic(method.upper(), url, **kwargs)
            problem = response.status_code < 400 or response["Content-Type"] == "application/problem+json"
            if response.status_code >= 500 or not problem:
                failures.append(f"{who}, {what}: {response.status_code} {response.content[:120]!r}")
    assert failures == [], "\n".join(failures)
