"""Fan-out: what happened becomes delivery rows, in the transaction that moves the position."""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.events.models import EventNotice
from apps.journal.changes import CursorGone
from apps.journal.models import AccessChannel

from ..feeds import fanout_start_cursor, feed_page
from ..models import Delivery, Subscription, WebhookDelivery, WebhookEndpoint
from .alerts import alerts_fanout
from .channels import channel_notices_fanout
from .messages import _json, _new_deliveries

logger = logging.getLogger(__name__)

# A subscription that fell far behind catches up over several runs instead of holding a worker for long.
MAX_PAGES_PER_RUN = 10
WEBHOOK_DELIVERIES = [Delivery.WEBHOOK, Delivery.BOTH]


def _webhook_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        is_active=True, delivery__in=WEBHOOK_DELIVERIES, endpoint__is_active=True, department__is_active=True
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
        department_id__in={n.department_id for n in notices},
        is_active=True,
        receives_events=True,
        department__is_active=True,
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
    """Turn new changes of every webhook subscription, new event notices, watch alerts and channel status
    notices into deliveries.

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
    for _batch in range(MAX_PAGES_PER_RUN):
        count, more = alerts_fanout(limit=limit)
        made += count
        if not more:
            break
    for _batch in range(MAX_PAGES_PER_RUN):
        count, more = channel_notices_fanout(limit=limit)
        made += count
        if not more:
            break
    return made


# --- delivery -----------------------------------------------------------------------------------------
