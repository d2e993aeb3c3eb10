"""Webhook endpoints: registration with a signing secret, and the SSRF check of their URLs."""

import base64
import ipaddress
import logging
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.crypto import seal

from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks marker of a secret, not a secret


class AddressRefusedError(Exception):
    """The URL's host is, or resolves to, an address webhooks are not sent to."""


# --- endpoints and the SSRF check ---------------------------------------------------------------------


def _allowed_host(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS}


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    # ``::ffff:127.0.0.1`` reaches 127.0.0.1, and Python 3.11 does not call it loopback: judge the IPv4. So
    # for the IPv4 addresses 6to4 (2002::/16) and Teredo (2001::/32) carry, which it calls global.
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            address = embedded
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
    *, department: Any, url: str, receives_events: bool = True, receives_alerts: bool = True
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
        department=department, url=url, secret_sealed=seal(secret), receives_events=receives_events,
        receives_alerts=receives_alerts,
    )  # fmt: skip
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
