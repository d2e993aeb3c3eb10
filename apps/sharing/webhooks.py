"""Webhooks: signed delivery of a subscription's changes and of event notices to a department's endpoint.

The flow is an outbox. Fan-out turns what happened into ``WebhookDelivery`` rows in the same transaction
that advances its position (a subscription's feed cursor, a notice's ``fanned_out_at``), so a crash writes
both or neither. A Celery task then claims one row with a conditional UPDATE, POSTs it following the
Standard Webhooks spec (https://www.standardwebhooks.com) and records the outcome; failures are retried on
a fixed schedule with jitter for about three days, then kept as dead letters an administrator may replay.
A periodic due-scan re-sends retries and rows whose worker died, so a lost task delays a delivery but
never loses it. Delivery is at least once; a row's id is its ``webhook-id`` on every attempt.

Endpoints are checked against SSRF when created and again before every attempt (the name may resolve
elsewhere by then): only http(s) to public addresses, and the connection goes to the address checked.
"""

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.core.crypto import seal, unseal
from apps.core.permissions import role_of
from apps.events.models import EventNotice
from apps.journal.models import AccessChannel
from apps.sync.selectors import CursorGone

from .feeds import fanout_start_cursor, feed_page
from .models import Delivery, DeliveryStatus, Subscription, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks marker of a secret, not a secret
# Delay after the 1st, 2nd, … failed attempt; a failure after the last step makes a dead letter
# (ten attempts over about three days).
SCHEDULE = tuple(
    dt.timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
JITTER = 0.1
# A subscription that fell far behind catches up over several runs instead of holding a worker for long.
MAX_PAGES_PER_RUN = 10
WEBHOOK_DELIVERIES = [Delivery.WEBHOOK, Delivery.BOTH]


class AddressRefusedError(Exception):
    """The URL's host is, or resolves to, an address webhooks are not sent to."""


# --- endpoints and the SSRF check ---------------------------------------------------------------------


def _allowed_host(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS}


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    # ``::ffff:127.0.0.1`` reaches 127.0.0.1, and Python 3.11 does not call it loopback: judge the IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for flag, kind in (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),  # shared (100.64/10), documentation, benchmarking, …
    ):
        if flag:
            return _("a %(kind)s address (%(address)s)") % {"kind": kind, "address": address}
    return None


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; ValueError when it is not an http(s) URL with a host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise ValueError(_("Only http and https URLs are allowed."))
    if not parts.hostname:
        raise ValueError(_("The URL has no host."))
    port = parts.port or (443 if scheme == "https" else 80)  # .port raises ValueError when malformed
    return scheme, parts.hostname, port


def _checked_addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address ``host`` resolves to, if all are public (else AddressRefusedError; OSError: no name)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        problem = _address_problem(address)
        if problem:
            raise AddressRefusedError(_("%(host)s is %(problem)s") % {"host": host, "problem": problem})
    return addresses


def url_problem(url: str) -> str | None:
    """Why webhooks may not be sent to ``url`` (SSRF protection), or None when they may.

    Only http and https; the host must resolve, and only to public addresses, unless it is listed in
    ``GRIDAPI_WEBHOOK_ALLOWED_HOSTS``.
    """
    try:
        _scheme, host, port = _split(url)
    except ValueError as exc:
        return str(exc)
    if _allowed_host(host):
        return None
    try:
        _checked_addresses(host, port)
    except AddressRefusedError as exc:
        return _("Webhooks are not sent to loopback, private or other non-public addresses: %(why)s.") % {
            "why": exc
        }
    except (OSError, UnicodeError):
        return _("The host name %(host)s does not resolve.") % {"host": host}
    return None


def _secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_create(
    *, department: Any, url: str, receives_events: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register where ``department`` receives webhooks; returns the endpoint and its signing secret.

    The secret (``whsec_<base64>``, Standard Webhooks form) is stored sealed and returned only here, so the
    caller shows it once. URLs that fail the SSRF check are refused.
    """
    problem = url_problem(url)
    if problem:
        raise ValidationError({"url": [problem]})
    secret = _secret_new()
    endpoint = WebhookEndpoint.objects.create(
        department=department, url=url, secret_sealed=seal(secret), receives_events=receives_events
    )
    return endpoint, secret


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to ``endpoint``: it is marked inactive and what was still owed to it becomes dead letters.

    Dead letters stay visible, so an administrator who re-enables the endpoint can replay them.
    """
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:200], updated_at=now
    )
    WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.DEAD, claimed_until=None, last_error=f"endpoint disabled: {reason}"[:500]
    )


# --- the message --------------------------------------------------------------------------------------


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
    return dt.timedelta(seconds=settings.GRIDAPI_WEBHOOK_CLAIM_SECONDS)


def _enqueue_after_commit(ids: Iterable[uuid.UUID]) -> None:
    from .tasks import deliver_webhook  # the tasks module imports this one

    pending = [str(pk) for pk in ids]

    def send() -> None:
        for pk in pending:
            deliver_webhook.delay(pk)

    # robust: the rows are committed whatever happens here; if the broker is away the due-scan sends them.
    if pending:
        transaction.on_commit(send, robust=True)


def _new_deliveries(rows: list[WebhookDelivery]) -> int:
    now = timezone.now()
    for row in rows:
        # Queued right after commit: the due-scan leaves the row alone for a lease unless that enqueue is lost
        row.next_attempt_at, row.claimed_until = now, now + _claim_lease()
    WebhookDelivery.objects.bulk_create(rows)
    _enqueue_after_commit(row.pk for row in rows)
    return len(rows)


def _webhook_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        is_active=True, delivery__in=WEBHOOK_DELIVERIES, endpoint__is_active=True
    )


def change_event_type(change: dict[str, Any]) -> str:
    return f"{change['type']}.{'deleted' if change.get('deleted') else 'changed'}"


@transaction.atomic
def subscription_fanout(*, subscription_id: uuid.UUID, limit: int) -> tuple[int, bool]:
    """One feed page of the subscription as deliveries; returns (deliveries made, whether more is waiting).

    The deliveries and the advanced cursor are written in one transaction, with the subscription locked, so
    two runs never send the same page twice and a crash loses nothing. A subscription another run holds
    is skipped.
    """
    subscription = (
        _webhook_subscriptions()
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None or subscription.endpoint_id is None:  # (the filter joins the endpoint)
        return 0, False
    endpoint_id = subscription.endpoint_id
    token = subscription.fanout_cursor or fanout_start_cursor(subscription)
    try:
        page = feed_page(subscription=subscription, token=token, limit=limit, channel=AccessChannel.WEBHOOK)
    except CursorGone:
        # The cursor outlived its signature (months without a fan-out): send the scope again rather than
        # skip what happened meanwhile — receivers get at-least-once, never a gap.
        logger.warning("webhook fan-out of subscription %s restarts with a snapshot", subscription.pk)
        page = feed_page(subscription=subscription, token=None, limit=limit, channel=AccessChannel.WEBHOOK)
    made = _new_deliveries(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                subscription=subscription,
                event_type=change_event_type(change),
                payload=_json(change),
            )
            for change in page["changes"]
        ]
    )
    Subscription.objects.filter(pk=subscription.pk).update(fanout_cursor=page["cursor"])
    return made, bool(page["has_more"])


@transaction.atomic
def notices_fanout(*, limit: int) -> tuple[int, bool]:
    """One batch of event notices as deliveries to their departments' endpoints that receive events.

    Returns (deliveries made, whether more notices are waiting). Notices are marked fanned out in the same
    transaction; rows another run has locked are skipped.
    """
    notices = list(
        EventNotice.objects.filter(fanned_out_at__isnull=True)
        .select_for_update(skip_locked=True)
        .order_by("created_at")[:limit]
    )
    if not notices:
        return 0, False
    endpoints: dict[Any, list[uuid.UUID]] = {}
    for endpoint_id, department_id in WebhookEndpoint.objects.filter(
        department_id__in={n.department_id for n in notices}, is_active=True, receives_events=True
    ).values_list("pk", "department_id"):
        endpoints.setdefault(department_id, []).append(endpoint_id)
    made = _new_deliveries(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type=notice.kind,
                payload=_json({**notice.payload, "notice_id": notice.pk}),
            )
            for notice in notices
            for endpoint_id in endpoints.get(notice.department_id, [])
        ]
    )
    EventNotice.objects.filter(pk__in=[n.pk for n in notices]).update(fanned_out_at=timezone.now())
    return made, len(notices) == limit


def webhooks_fanout(*, limit: int = 500) -> int:
    """Turn new changes of every webhook subscription, and new event notices, into deliveries.

    Each page is its own transaction (see ``subscription_fanout`` and ``notices_fanout``); returns how many
    deliveries were made.
    """
    made = 0
    for subscription_id in _webhook_subscriptions().values_list("pk", flat=True):
        try:
            for _page in range(MAX_PAGES_PER_RUN):
                count, more = subscription_fanout(subscription_id=subscription_id, limit=limit)
                made += count
                if not more:
                    break
        except Exception:
            # One broken subscription must not hold up the others' deliveries; its page was rolled back,
            # so the next run tries it again from the same position.
            logger.exception("webhook fan-out of subscription %s failed", subscription_id)
    for _batch in range(MAX_PAGES_PER_RUN):
        count, more = notices_fanout(limit=limit)
        made += count
        if not more:
            break
    return made


# --- delivery -----------------------------------------------------------------------------------------


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


def _client() -> httpx.Client:
    # No redirects (they could lead anywhere, past the SSRF check) and no proxy from the environment, so
    # the address checked is the address connected to.
    return httpx.Client(
        timeout=settings.GRIDAPI_WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
    )


def _retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
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
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _dead(delivery, error="endpoint disabled")
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
