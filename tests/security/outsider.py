"""Calling an operation as the outsider, and what must hold afterwards: no write, no read across scopes."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Model

from .conftest import World

Value = Callable[[World], Any]
OUTSIDERS = ("worker_b", "dispatcher_b", "key_b")
HIDDEN = frozenset({403, 404})
REFUSED = frozenset({400, 403, 404, 409})


@dataclass(frozen=True)
class Attack:
    """One way to call an operation with A's ids: path parameters and body name A's records.

    ``allowed`` is what the outsider may be answered (hidden: 403/404; a create with a reference it may
    not make: also a 400 field error); ``owner`` is A's caller who must get 200 for the same read, so
    that a wrong URL cannot pass as "hidden"; ``public`` operations show everybody the same (catalogues),
    and only the no-leak and no-write checks apply.
    """

    params: dict[str, Value] = field(default_factory=dict)
    body: Value | None = None
    query: Value | None = None
    raw: bytes | None = None
    headers: Value | None = None
    allowed: frozenset[int] = HIDDEN
    owner: str | None = None
    callers: tuple[str, ...] = OUTSIDERS


def a(name: str) -> Value:
    """The id of A's record ``name`` (the records of the newer apps are made when first named)."""
    from .records import made

    return lambda w: w.ids[name] if name in w.ids else made(w, name)


def b(name: str) -> Value:
    from .records import b_made

    return lambda w: w.b_ids[name] if name in w.b_ids else b_made(w, name)


def prepare(attack: "Attack", world: World) -> None:
    """Evaluate what the attack names once, so that records made on first use exist before anything is
    measured."""
    for value in (*attack.params.values(), attack.body, attack.query, attack.headers):
        if value is not None:
            value(world)


def if_match(name: str, side: str = "a") -> Value:
    """The record's current version as ``If-Match`` (read now: an earlier call may have moved it)."""

    def header(w: World) -> dict[str, str]:
        if side == "a":
            record = w.records[name]
            model, pk = type(record), record.pk
        else:
            model, pk = w.b_models[name], w.b_ids[name]
        return {"HTTP_IF_MATCH": f'"{model._default_manager.get(pk=pk).version}"'}

    return header


def _our_models() -> list[type[Model]]:
    return [m for m in django_apps.get_models() if m.__module__.startswith("apps.") and not m._meta.proxy]


# A read is logged (the caller's own records): what matters is that no logged read names A's records.
READ_LOG = "journal.AccessLogEntry"


def snapshot(world: World) -> dict[str, Any]:
    """Row counts of every table of ours (the access log: which of A's records reads named), and every
    column of A's records."""
    counts: dict[str, Any] = {m._meta.label: m._default_manager.count() for m in _our_models()}
    log = django_apps.get_model(READ_LOG)._default_manager.values_list("record_ids", flat=True)
    secret = set(world.secrets)
    counts[READ_LOG] = sum(1 for ids in log for i in ids if str(i) in secret)
    rows = {
        name: type(record)._default_manager.filter(pk=record.pk).values().first()
        for name, record in world.records.items()
    }
    return {"counts": counts, "rows": rows}


def call(client: Any, method: str, path: str, attack: Attack, world: World) -> tuple[Any, str]:
    """The response and the request as text (what the caller itself sent may come back)."""
    url = path
    for name, value in attack.params.items():
        url = url.replace("{" + name + "}", str(value(world)))
    headers = attack.headers(world) if attack.headers else {}
    if attack.raw is not None:
        response = getattr(client, method)(url, attack.raw, content_type="image/jpeg", **headers)
        return response, url
    body = attack.body(world) if attack.body else None
    query = attack.query(world) if attack.query else None
    if method == "get":
        response = client.get(url, query, **headers)
    else:
        response = getattr(client, method)(url, body, format="json", **headers)
    return response, url + json.dumps(query or {}, ensure_ascii=False) + json.dumps(
        body or {}, ensure_ascii=False
    )


def leaked(world: World, response: Any, sent: str) -> list[str]:
    text = response.content.decode("utf-8", errors="replace")
    return sorted(s for s in world.secrets if s not in sent and s in text)
