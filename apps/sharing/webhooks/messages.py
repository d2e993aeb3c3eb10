"""One webhook message: its id, body and Standard Webhooks signature; queueing after commit."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ..models import WebhookDelivery
from .endpoints import SECRET_PREFIX

logger = logging.getLogger(__name__)

RUN = 50  # deliveries of one endpoint per delivery task at most


def webhook_id(delivery: WebhookDelivery) -> str:
    return f"msg_{delivery.id.hex}"


def delivery_body(delivery: WebhookDelivery) -> str:
    """The body sent for ``delivery``: the same bytes on every attempt."""
    message = {
        "type": delivery.event_type,
        "timestamp": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def webhook_signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the base64-decoded ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- fan-out ------------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    """``value`` as plain JSON types, so what is stored is exactly what is sent."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _claim_lease() -> dt.timedelta:
    """How long a worker sending a delivery holds it."""
    return dt.timedelta(seconds=settings.GRIDAPI_WEBHOOK_CLAIM_SECONDS)


def _queued_lease() -> dt.timedelta:
    """How long a queued delivery is left to its task (acknowledged late, so a worker's death hands it on)."""
    return dt.timedelta(seconds=settings.GRIDAPI_WEBHOOK_QUEUED_SECONDS)


def delivery_runs(deliveries: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> list[list[str]]:
    """(delivery id, endpoint id) pairs as the runs a task each sends: up to ``RUN`` deliveries of one endpoint,
    in the order given."""
    by_endpoint: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for delivery_id, endpoint_id in deliveries:
        by_endpoint[endpoint_id].append(str(delivery_id))
    return [ids[n : n + RUN] for ids in by_endpoint.values() for n in range(0, len(ids), RUN)]


def _enqueue_after_commit(deliveries: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Queue (delivery id, endpoint id) pairs in runs (``delivery_runs``) once the transaction commits."""
    from ..tasks import deliver_webhooks  # the tasks module imports this one

    runs = delivery_runs(deliveries)

    def send() -> None:
        for run in runs:
            deliver_webhooks.delay(run)

    # robust: the rows are committed whatever happens here; if the broker is away the due-scan sends them.
    if runs:
        transaction.on_commit(send, robust=True)


def _new_deliveries(rows: list[WebhookDelivery]) -> int:
    now = timezone.now()
    for row in rows:
        # Queued right after commit: the due-scan leaves the row alone for a lease unless that enqueue is lost
        row.next_attempt_at, row.claimed_until = now, now + _queued_lease()
    WebhookDelivery.objects.bulk_create(rows)
    _enqueue_after_commit((row.pk, row.endpoint_id) for row in rows)
    return len(rows)
