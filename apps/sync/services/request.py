"""A push request as a whole: its limits, its ``Idempotency-Key``, the shape of each mutation, the cursor.

The view only translates HTTP: it hands over the body, the key and the token's device, and sends back the
bytes this returns.

- ``Idempotency-Key``: the whole response is stored under (user, key) and replayed byte for byte. Requests
  with the same key are serialised on a session advisory lock of (user, key) held from the look-up until the
  response is stored, so two concurrent requests with one key never both apply: the second waits, then
  replays the first's answer (or is refused when its body differs).
- ``device_id``: when the request is signed with a device token, the token's device is recorded and the
  body's ``device_id`` is ignored (a device cannot write observations in another device's name); a session
  (administrators in the browser) records the body's.
- ``cursor``: the device's pull cursor, checked (signed, the user's, unexpired) and sent back re-signed from
  what the server decoded — never the text the client sent. The batch's effects come after its position
  in the journal, so the next pull from it sends them in their final state (canonical ids after merges)
  together with everything else since; a cursor that is not the user's valid cursor comes back as null.
"""

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.errors import PayloadTooLarge
from apps.core.locks import lock_key
from apps.core.principals import Principal
from apps.journal.changes import Cursor, CursorGone

from ..inputs import MAX_BATCH_BYTES, MAX_MUTATIONS, MutationSerializer, PushInputSerializer, plain
from ..models import ReplayableResponse
from .common import PushContext, mutation_result
from .push import sync_push


@dataclass(frozen=True)
class PushReply:
    status: int
    content: bytes


@contextlib.contextmanager
def _key_held(user: Principal, key: str) -> Iterator[None]:
    """A session-level advisory lock of (user, key): it spans the push's many transactions."""
    lock = lock_key("push-idempotency", f"{user.pk}:{key}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def push_request(
    *,
    user: Principal,
    body: bytes,
    data: Any,
    idempotency_key: str | None,
    token_device_id: str | None = None,
) -> PushReply:
    """Answer one push request (see the module's docstring); raises API errors (4xx) for a bad request."""
    if len(body) > MAX_BATCH_BYTES:
        raise PayloadTooLarge(_("A batch may carry at most 5 MB."))
    sent = data.get("mutations") if isinstance(data, dict) else None
    if isinstance(sent, list) and len(sent) > MAX_MUTATIONS:
        raise PayloadTooLarge(_("A batch may carry at most 1,000 mutations."))
    if not idempotency_key:
        return _answer(user, data, token_device_id)
    key, request_hash = idempotency_key[:255], hashlib.sha256(body).hexdigest()
    with _key_held(user, key):
        stored = ReplayableResponse.objects.filter(user_id=user.pk, key=key).first()
        if stored is not None:
            if stored.request_hash != request_hash:
                raise ValidationError({"Idempotency-Key": [_("This key was used for a different request.")]})
            return PushReply(stored.status, bytes(stored.body))
        reply = _answer(user, data, token_device_id)
        ReplayableResponse.objects.create(
            user_id=user.pk, key=key, request_hash=request_hash, status=reply.status, body=reply.content
        )
        return reply


def _answer(user: Principal, data: Any, token_device_id: str | None) -> PushReply:
    envelope = PushInputSerializer(data=data)
    envelope.is_valid(raise_exception=True)
    mutations, results = [], []
    validator = MutationSerializer()  # one instance for the batch: its fields are built once
    for index, raw in enumerate(envelope.validated_data["mutations"]):
        try:
            mutations.append((index, plain(validator.run_validation(raw))))
        except ValidationError as exc:
            if not isinstance(raw.get("mutation_id"), str):
                raise ValidationError({"mutations": {str(index): exc.detail}}) from exc
            results.append((index, mutation_result(raw["mutation_id"], "rejected", errors=exc.detail)))
    context = PushContext(
        user=user, device_id=token_device_id or envelope.validated_data["device_id"],
        crs=envelope.validated_data["crs"],
    )  # fmt: skip
    applied = sync_push(context=context, mutations=[m for _, m in mutations])
    results += list(zip([i for i, _ in mutations], applied, strict=True))
    body = {
        "results": [r for _, r in sorted(results, key=lambda pair: pair[0])],
        "cursor": _pull_cursor(user, envelope.validated_data.get("cursor")),
    }
    # The results already have the shape of the schema's PushOutput, as stored for replays.
    return PushReply(200, json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def _pull_cursor(user: Principal, sent: str | None) -> str | None:
    if not sent:
        return None
    try:
        return Cursor.decode(sent, owner=str(user.pk)).encode()
    except CursorGone:
        return None
