"""Delivery: claim a row, POST it signed to the checked address, record the outcome, retry or bury it."""

import datetime as dt
import email.utils
import functools
import logging
import random
import ssl
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.core.crypto import unseal
from apps.core.permissions import role_of

from ..models import DeliveryStatus, Subscription, WebhookDelivery
from ..projection import Catalogue, project
from .alerts import alert_delivery_withdrawn
from .endpoints import AddressRefusedError, _allowed_host, _checked_addresses, _split, endpoint_disable
from .messages import _claim_lease, _enqueue_after_commit, delivery_body, webhook_id, webhook_signature

logger = logging.getLogger(__name__)

# Delay after the 1st, 2nd, … failed attempt; a failure after the last step makes a dead letter
# (ten attempts over about three days).
SCHEDULE = tuple(
    dt.timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
JITTER = 0.1


def _pinned(url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The request for ``url`` aimed at the address just checked: (url, extra headers, httpx extensions).

    Connecting to the checked address (with the name in ``Host`` and TLS SNI, so certificates are still
    verified against it) leaves no window for the name to resolve elsewhere in between (DNS rebinding).
    """
    scheme, host, port = _split(url)
    if _allowed_host(host):
        return url, {}, {}
    address = min(_checked_addresses(host, port), key=lambda a: a.version)  # IPv4 first: routes everywhere
    if str(address) == host:
        return url, {}, {}  # an address in the URL: nothing to pin
    parts = urlsplit(url)
    netloc = f"[{address}]" if address.version == 6 else str(address)
    if parts.port:
        netloc += f":{parts.port}"
    target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rpartition("@")[2]
    return target, {"host": host_header}, ({"sni_hostname": host} if scheme == "https" else {})


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~20 ms of CPU: once per process, not once per delivery.
    return ssl.create_default_context(cafile=certifi.where())


def _client() -> httpx.Client:
    # No redirects (they could lead anywhere, past the SSRF check) and no proxy from the environment, so
    # the address checked is the address connected to.
    return httpx.Client(
        timeout=settings.GRIDAPI_WEBHOOK_TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
        verify=_tls(),
    )


def _retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also takes "²", which float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def retry_delay(*, attempts: int, retry_after: float | None = None) -> dt.timedelta | None:
    """How long to wait after the ``attempts``-th failed attempt; None when the schedule is exhausted.

    The schedule's step with ±10 % jitter (so receivers coming back up are not hit by every sender at once),
    or what ``Retry-After`` asked for when that is longer — capped at the schedule's longest step, so a
    receiver cannot park a delivery beyond the retry window.
    """
    if attempts > len(SCHEDULE):
        return None
    seconds = SCHEDULE[attempts - 1].total_seconds() * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after is not None and retry_after > seconds:
        seconds = min(retry_after, SCHEDULE[-1].total_seconds())
    return dt.timedelta(seconds=seconds)


def _settle(delivery: WebhookDelivery, **fields: Any) -> None:
    # Fenced by the attempt number: if this claim expired and another worker took the row over, the late
    # outcome of this attempt does not overwrite the newer one.
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
    ).update(claimed_until=None, **fields)


def _failed(delivery: WebhookDelivery, *, error: str, status: int | None, retry_after: float | None) -> str:
    now = timezone.now()
    delay = retry_delay(attempts=delivery.attempts, retry_after=retry_after)
    if delay is None:
        _settle(delivery, status=DeliveryStatus.DEAD, last_status=status, last_error=error[:500])
        logger.warning(
            "webhook %s dead after %s attempts: %s", webhook_id(delivery), delivery.attempts, error
        )
        return DeliveryStatus.DEAD
    _settle(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now + delay,
        last_status=status,
        last_error=error[:500],
    )
    logger.info(
        "webhook %s attempt %s failed (%s); next in %s", webhook_id(delivery), delivery.attempts, error, delay
    )
    return DeliveryStatus.PENDING


def _dead(delivery: WebhookDelivery, *, error: str, status: int | None = None) -> str:
    _settle(delivery, status=DeliveryStatus.DEAD, last_status=status, last_error=error[:500])
    logger.warning("webhook %s dead: %s", webhook_id(delivery), error)
    return DeliveryStatus.DEAD


def _to_current_grant(delivery: WebhookDelivery, subscription: Subscription) -> None:
    """Cut a waiting delivery's record to what the subscription grants now: a grant narrowed since the fan-out
    (a field withdrawn) is not sent on a retry. The cut payload is kept, so later attempts send the same bytes."""
    payload, _revealed = project(
        delivery.payload, granted=set(subscription.fields), catalogue=Catalogue.load()
    )
    if payload != delivery.payload:
        delivery.payload = payload
        delivery.save(update_fields=["payload"])


def delivery_attempt(*, delivery_id: uuid.UUID) -> str:
    """Send one delivery if it is due and nobody else holds it; returns its status afterwards ("" if skipped).

    2xx delivers; 410 disables the endpoint; an address refused by the SSRF check is a permanent failure
    (dead letter); anything else is retried on the schedule. Errors recorded carry no payload data.
    """
    now = timezone.now()
    # The claim: a due pending row, or one whose previous worker's claim ran out (it died mid-attempt).
    # Counting the attempt here means an attempt cut short by a dead worker counts too.
    claimed = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now),
        pk=delivery_id,
        next_attempt_at__lte=now,
    ).update(status=DeliveryStatus.SENDING, claimed_until=now + _claim_lease(), attempts=F("attempts") + 1)
    if claimed != 1:
        return ""  # delivered, dead, not due yet, or another worker has it
    delivery = WebhookDelivery.objects.select_related("endpoint__department", "subscription__department").get(
        pk=delivery_id
    )
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _dead(delivery, error="endpoint disabled")
    if not endpoint.department.is_active:
        return _dead(delivery, error="department inactive")
    subscription = delivery.subscription
    if subscription is not None:
        if not (subscription.is_active and subscription.department.is_active):
            return _dead(delivery, error="subscription ended")
        _to_current_grant(delivery, subscription)
    elif alert_delivery_withdrawn(delivery):
        return _dead(delivery, error="watch rule ended")
    try:
        url, headers, extensions = _pinned(endpoint.url)
    except (AddressRefusedError, ValueError) as exc:
        return _dead(delivery, error=f"refused: {exc}")
    except (OSError, UnicodeError):
        return _failed(delivery, error="host name did not resolve", status=None, retry_after=None)
    msg_id, body, timestamp = webhook_id(delivery), delivery_body(delivery), int(timezone.now().timestamp())
    headers |= {
        "content-type": "application/json",
        "user-agent": "gridapi-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(
            secret=unseal(endpoint.secret_sealed), msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
    try:
        with (
            _client() as client,
            client.stream(
                "POST", url, content=body.encode(), headers=headers, extensions=extensions
            ) as response,
        ):
            # The body is not read: receivers owe us nothing but the status, and it may be large.
            code, retry_after = response.status_code, response.headers.get("retry-after")
    except httpx.HTTPError as exc:
        return _failed(delivery, error=f"{type(exc).__name__}: {exc}"[:200], status=None, retry_after=None)
    if 200 <= code < 300:
        _settle(
            delivery,
            status=DeliveryStatus.DELIVERED,
            delivered_at=timezone.now(),
            last_status=code,
            last_error="",
        )
        logger.info("webhook %s delivered to endpoint %s", msg_id, endpoint.pk)
        return DeliveryStatus.DELIVERED
    if code == 410:
        _dead(delivery, error="HTTP 410: the receiver is gone", status=code)
        endpoint_disable(endpoint=endpoint, reason="the receiver answered 410 Gone")
        return DeliveryStatus.DEAD
    error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
    return _failed(delivery, error=error, status=code, retry_after=_retry_after(retry_after, timezone.now()))


def deliveries_due(*, limit: int, now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Ids of deliveries to send now: pending and due, or stuck in ``sending`` past their claim.

    The rows are taken for one lease (``claimed_until``) in the same statement batch, so the next scans do
    not queue them again while the task is on its way; a task that never arrives costs one lease of delay.
    """
    now = now or timezone.now()
    # A delivery whose worker died during its last attempt becomes a dead letter instead of being sent
    # again: one that kills its worker every time must not loop forever.
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_until__lt=now, attempts__gt=len(SCHEDULE)
    ).update(
        status=DeliveryStatus.DEAD,
        claimed_until=None,
        last_error="the worker was lost during the last attempt",
    )
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.PENDING, claimed_until=now + _claim_lease()
        )
    return ids


def deliveries_resend_due(*, limit: int = 1000) -> int:
    """Queue a delivery task for each due delivery (see ``deliveries_due``); returns how many."""
    ids = deliveries_due(limit=limit)
    _enqueue_after_commit(ids)
    return len(ids)


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """An administrator sends a dead letter again: it is pending once more, same id, a fresh schedule.

    Nothing else is re-enabled: replaying to a disabled endpoint makes the letter dead again.
    """
    if role_of(actor) != "admin":
        raise PermissionDenied(_("Only an administrator may replay a webhook delivery."))
    replayed = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_until=timezone.now() + _claim_lease(),  # queued below: the due-scan leaves it to that task
    )
    if replayed != 1:
        raise ValidationError({"status": [_("Only a dead letter can be replayed.")]})
    logger.info("webhook %s replayed by user %s", webhook_id(delivery), actor.pk)
    _enqueue_after_commit([delivery.pk])
    return WebhookDelivery.objects.get(pk=delivery.pk)
