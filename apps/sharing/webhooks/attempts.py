"""Attempts: claim a run of deliveries of one endpoint, POST each signed to the checked address on a kept-alive
connection, record the outcomes.

A delivery task carries a run of up to ``messages.RUN`` deliveries of one endpoint (``_enqueue_after_commit``)
so that what a delivery costs besides its request — the task, the claim, the read, the outcome's write — is paid
once per run. Each delivery is still decided on its own, exactly as when it was sent alone: its endpoint, its
department, its subscription or watch rule checked, its grant applied, its answer judged.

A run stops early in two cases, so that it never holds deliveries it is not sending:

* the receiver is unreachable or overloaded (no answer, 429, 5xx): that delivery is retried on its schedule and
  the rest of the run for that endpoint are handed back *unattempted* to be sent at the same time;
* half the claim has gone by (a slow receiver): the rest are handed back unattempted, due at once, for the
  due-scan to queue again — before their claim runs out and another worker would take them over.
"""

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.db import connection
from django.db.models import F
from django.utils import timezone

from apps.core.crypto import unseal

from ..models import DeliveryStatus, WebhookDelivery
from ..projection import Catalogue
from .alerts import alert_delivery_withdrawn
from .connections import Key, answer_drain, client_for
from .delivery import _dead, _failed, _retry_after, _to_current_grant
from .endpoints import AddressRefusedError, _allowed_host, _checked_addresses, _split, endpoint_disable
from .messages import _claim_lease, delivery_body, webhook_id, webhook_signature

logger = logging.getLogger(__name__)

SETTLE_EVERY = 25  # delivered rows written together (a worker killed mid-run sends at most these again)

Pinned = tuple[str, dict[str, str], dict[str, Any], Key]


def _pinned(url: str) -> Pinned:
    """The request for ``url`` aimed at the address just checked: (url, extra headers, httpx extensions, the
    key of the connections that may carry it).

    Connecting to the checked address (with the name in ``Host`` and TLS SNI, so certificates are still
    verified against it) leaves no window for the name to resolve elsewhere in between (DNS rebinding).
    """
    scheme, host, port = _split(url)
    if _allowed_host(host):
        return url, {}, {}, (scheme, host, port, "")
    address = min(_checked_addresses(host, port), key=lambda a: a.version)  # IPv4 first: routes everywhere
    key = (scheme, host, port, str(address))
    if str(address) == host:
        return url, {}, {}, key  # an address in the URL: nothing to pin
    parts = urlsplit(url)
    netloc = f"[{address}]" if address.version == 6 else str(address)
    if parts.port:
        netloc += f":{parts.port}"
    target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rpartition("@")[2]
    return target, {"host": host_header}, ({"sni_hostname": host} if scheme == "https" else {}), key


def _post(
    key: Key, url: str, body: bytes, headers: dict[str, str], extensions: dict[str, Any]
) -> tuple[int, str | None]:
    """POST on a kept-alive connection of this receiver address: (status, Retry-After).

    A connection the receiver closed while it sat idle fails before any answer: that request is sent once more
    on a new connection (with the same webhook-id, so a receiver that did get the first one sees a duplicate
    it already knows how to drop). Timeouts and refused connections are not repeated here.
    """
    for last in (False, True):
        try:
            with client_for(key).stream(
                "POST", url, content=body, headers=headers, extensions=extensions
            ) as response:
                answer_drain(response)
                return response.status_code, response.headers.get("retry-after")
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if last:
                raise  # (the pool has closed the failed connection itself)
    raise AssertionError("unreachable")


_CLAIM = """
UPDATE sharing_webhookdelivery
   SET status = %(sending)s, claimed_until = %(until)s, attempts = attempts + 1
 WHERE id = ANY(%(ids)s) AND next_attempt_at <= %(now)s
   AND (status = %(pending)s OR (status = %(sending)s AND claimed_until < %(now)s))
RETURNING id
"""


def _claim(ids: Sequence[uuid.UUID], now: dt.datetime, until: dt.datetime) -> list[uuid.UUID]:
    """Claim the due ones of ``ids`` in one statement: pending rows, or rows whose previous worker's claim ran
    out (it died mid-attempt). Counting the attempt here means an attempt cut short by a dead worker counts too.
    A row another worker claims at the same moment is locked by the first UPDATE; the second sees it claimed."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            {"ids": list(ids), "now": now, "until": until,
             "sending": DeliveryStatus.SENDING, "pending": DeliveryStatus.PENDING},
        )  # fmt: skip
        return [row[0] for row in cursor.fetchall()]


class _Run:
    """One task's run of claimed deliveries: what is shared between them (the catalogue, the checked address of
    each URL, receivers that stopped answering) and the delivered rows waiting to be written."""

    def __init__(self, claimed_until: dt.datetime) -> None:
        self.claimed_until = claimed_until
        self.deadline = time.monotonic() + _claim_lease().total_seconds() / 2
        self._catalogue: Catalogue | None = None
        self.pins: dict[str, Pinned | Exception] = {}
        self.stopped: dict[uuid.UUID, dt.datetime] = {}  # endpoint → when its held-back deliveries are due
        self.gone: set[uuid.UUID] = set()  # endpoints disabled during this run
        self.held: defaultdict[dt.datetime, list[uuid.UUID]] = defaultdict(list)
        self.delivered: list[tuple[WebhookDelivery, int]] = []

    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = Catalogue.load()
        return self._catalogue

    def pin(self, url: str) -> Pinned:
        if url not in self.pins:
            try:
                self.pins[url] = _pinned(url)
            except (
                AddressRefusedError,
                ValueError,
                OSError,
                UnicodeError,
            ) as exc:  # each delivery's answer below
                self.pins[url] = exc
        pinned = self.pins[url]
        if isinstance(pinned, Exception):
            raise pinned
        return pinned

    def hold(self, delivery: WebhookDelivery, when: dt.datetime) -> str:
        self.held[when].append(delivery.pk)
        return DeliveryStatus.PENDING

    def stop(self, delivery: WebhookDelivery, outcome: str) -> str:
        """The receiver did not take this delivery: the rest of its run go when this one is retried."""
        if outcome == DeliveryStatus.PENDING:
            self.stopped[delivery.endpoint_id] = delivery.next_attempt_at
        return outcome

    def attempt(self, delivery: WebhookDelivery) -> str:
        """Send one claimed delivery; its status afterwards (delivered rows are written by ``settle``)."""
        endpoint = delivery.endpoint
        if endpoint.pk in self.stopped:
            return self.hold(delivery, self.stopped[endpoint.pk])
        if not endpoint.is_active or endpoint.pk in self.gone:
            return _dead(delivery, error="endpoint disabled")
        if not endpoint.department.is_active:
            return _dead(delivery, error="department inactive")
        subscription = delivery.subscription
        if subscription is not None:
            if not (subscription.is_active and subscription.department.is_active):
                return _dead(delivery, error="subscription ended")
            _to_current_grant(delivery, subscription, self.catalogue())
        elif alert_delivery_withdrawn(delivery):
            return _dead(delivery, error="watch rule ended")
        try:
            url, headers, extensions, key = self.pin(endpoint.url)
        except (AddressRefusedError, ValueError) as exc:
            return _dead(delivery, error=f"refused: {exc}")
        except (OSError, UnicodeError):
            outcome = _failed(delivery, error="host name did not resolve", status=None, retry_after=None)
            return self.stop(delivery, outcome)
        msg_id, body, timestamp = (
            webhook_id(delivery),
            delivery_body(delivery),
            int(timezone.now().timestamp()),
        )
        headers = headers | {
            "content-type": "application/json",
            "user-agent": "gridapi-webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook_signature(
                secret=unseal(endpoint.secret_sealed), msg_id=msg_id, timestamp=timestamp, body=body
            ),
        }
        try:
            code, retry_after = _post(key, url, body.encode(), headers, extensions)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
            return self.stop(delivery, _failed(delivery, error=error, status=None, retry_after=None))
        if 200 <= code < 300:
            self.delivered.append((delivery, code))
            logger.info("webhook %s delivered to endpoint %s", msg_id, endpoint.pk)
            if len(self.delivered) >= SETTLE_EVERY:
                self.settle()
            return DeliveryStatus.DELIVERED
        if code == 410:
            _dead(delivery, error="HTTP 410: the receiver is gone", status=code)
            endpoint_disable(endpoint=endpoint, reason="the receiver answered 410 Gone")
            self.gone.add(endpoint.pk)
            return DeliveryStatus.DEAD
        error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
        outcome = _failed(
            delivery, error=error, status=code, retry_after=_retry_after(retry_after, timezone.now())
        )
        return self.stop(delivery, outcome) if code == 429 or code >= 500 else outcome

    def _mine(self, ids: list[uuid.UUID]) -> Any:
        # Fenced by this run's claim: rows another worker took over after it ran out are not overwritten.
        return WebhookDelivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.SENDING, claimed_until=self.claimed_until
        )

    def settle(self) -> None:
        """Write the delivered rows: one statement per answer status (all 200, as a rule)."""
        by_code: defaultdict[int, list[uuid.UUID]] = defaultdict(list)
        for delivery, code in self.delivered:
            by_code[code].append(delivery.pk)
        now = timezone.now()
        for code, ids in by_code.items():
            self._mine(ids).update(
                status=DeliveryStatus.DELIVERED, delivered_at=now, last_status=code, last_error="",
                claimed_until=None,
            )  # fmt: skip
        self.delivered = []

    def hand_back(self) -> None:
        """Return the deliveries held back unattempted: their attempt is not counted."""
        for when, ids in self.held.items():
            self._mine(ids).update(
                status=DeliveryStatus.PENDING,
                attempts=F("attempts") - 1,
                next_attempt_at=when,
                claimed_until=None,
            )
        self.held.clear()


def deliveries_attempt(*, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Send the deliveries of ``delivery_ids`` that are due and nobody else holds, in the order they were made;
    returns each one's status afterwards ("" if skipped: delivered, dead, not due yet, or another worker's).

    2xx delivers; 410 disables the endpoint; an address refused by the SSRF check is a permanent failure (dead
    letter); anything else is retried on the schedule. Errors recorded carry no payload data. Queries: the claim,
    the read, the catalogue, a write per ``SETTLE_EVERY`` delivered — and one per failure.
    """
    outcomes = dict.fromkeys(delivery_ids, "")
    now = timezone.now()
    run = _Run(claimed_until=now + _claim_lease())
    claimed = _claim(delivery_ids, now, run.claimed_until)
    if not claimed:
        return outcomes
    deliveries = WebhookDelivery.objects.select_related("endpoint__department", "subscription__department")
    try:
        for delivery in deliveries.filter(pk__in=claimed).order_by("created_at", "pk"):
            if time.monotonic() > run.deadline:
                outcomes[delivery.pk] = run.hold(delivery, timezone.now())  # a slow receiver: the rest later
            else:
                outcomes[delivery.pk] = run.attempt(delivery)
    finally:
        run.settle()
        run.hand_back()
    return outcomes


def delivery_attempt(*, delivery_id: uuid.UUID) -> str:
    """Send one delivery if it is due and nobody else holds it; returns its status afterwards ("" if skipped)."""
    return deliveries_attempt(delivery_ids=[delivery_id])[delivery_id]
