"""The object-level authorisation pattern every app's tests reuse.

A case names an endpoint, a caller who may see the object (the owner) and one who may not (the
outsider). The outsider must get 404 — never 403, which would confirm the object exists — and the
owner must get the success status, so the test cannot pass by hiding everything.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework.test import APIClient


@dataclass(frozen=True)
class Case:
    """``url`` and the two callers are built inside the test (callables take the fixtures' dict)."""

    name: str
    method: str
    url: Callable[[dict[str, Any]], str]
    owner: str
    outsider: str
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ok_status: int = 200
    headers: Callable[[dict[str, Any]], dict[str, str]] | None = None


def assert_hidden_from_outsider(
    case: Case, world: dict[str, Any], client_for: Callable[[Any], APIClient]
) -> None:
    url = case.url(world)
    body = case.body(world) if case.body else None
    headers = case.headers(world) if case.headers else {}
    owner = getattr(client_for(world[case.owner]), case.method)(url, body, format="json", **headers)
    assert owner.status_code == case.ok_status, (case.name, owner.status_code, owner.content[:300])
    outsider = getattr(client_for(world[case.outsider]), case.method)(url, body, format="json", **headers)
    assert outsider.status_code == 404, (case.name, outsider.status_code, outsider.content[:300])
    assert outsider["Content-Type"] == "application/problem+json"
