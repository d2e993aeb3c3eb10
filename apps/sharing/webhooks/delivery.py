"""Delivery outcomes and their schedule: retry or bury a failed attempt; the due-scan; an administrator's replay.
(The attempts themselves are in ``attempts``.)"""

import datetime as dt
import email.utils
import logging
import random
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.core.permissions import role_of

from ..models import DeliveryStatus, Subscription, WebhookDelivery
from ..projection import Catalogue, project
from .messages import (
    _enqueue_after_commit,
    _queued_lease,
    webhook_id,
)

logger = logging.getLogger(__name__)

# Delay after the 1st, 2nd, … failed attempt; a failure after the last step makes a dead letter
# (ten attempts over about three days).
SCHEDULE = tuple(
    dt.timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
JITTER = 0.1


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
    delivery.next_attempt_at = now + delay
    _settle(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_at=delivery.next_attempt_at,
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


def _to_current_grant(delivery: WebhookDelivery, subscription: Subscription, catalogue: Catalogue) -> None:
    """Cut a waiting delivery's record to what the subscription grants now: a grant narrowed since the fan-out
    (a field withdrawn) is not sent on a retry. The cut payload is kept, so later attempts send the same bytes."""
    payload, _revealed = project(
        delivery.payload, granted=frozenset(subscription.fields), catalogue=catalogue
    )
    if payload != delivery.payload:
        delivery.payload = payload
        delivery.save(update_fields=["payload"])


def deliveries_due(*, limit: int, now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Ids of deliveries to send now (see ``_due``)."""
    return [pk for pk, _endpoint in _due(limit=limit, now=now)]


def _due(*, limit: int, now: dt.datetime | None = None) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(id, endpoint id) of deliveries to send now: pending and due, or stuck in ``sending`` past their claim.

    The rows are taken for the queued lease (``claimed_until``, ``GRIDAPI_WEBHOOK_QUEUED_SECONDS``) in the same
    statement batch, so the next scans do not queue them again while their task waits in the queue (a lease as
    short as a send's claim queued each waiting delivery again every claim under a backlog: ten tasks for one
    delivery were seen); a task that never arrives costs one queued lease of delay.
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
        rows = list(
            WebhookDelivery.objects.filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "endpoint_id")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _endpoint in rows]).update(
            status=DeliveryStatus.PENDING, claimed_until=now + _queued_lease()
        )
    return rows


def deliveries_resend_due(*, limit: int = 1000) -> int:
    """Queue the due deliveries (see ``deliveries_due``), in runs per endpoint; returns how many."""
    rows = _due(limit=limit)
    _enqueue_after_commit(rows)
    return len(rows)


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
        claimed_until=timezone.now() + _queued_lease(),  # queued below: the due-scan leaves it to that task
    )
    if replayed != 1:
        raise ValidationError({"status": [_("Only a dead letter can be replayed.")]})
    logger.info("webhook %s replayed by user %s", webhook_id(delivery), actor.pk)
    _enqueue_after_commit([(delivery.pk, delivery.endpoint_id)])
    return WebhookDelivery.objects.get(pk=delivery.pk)
