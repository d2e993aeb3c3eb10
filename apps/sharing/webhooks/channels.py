"""Fan-out of the channels' ``event.status_changed`` outbox rows into signed deliveries to their endpoints.

Same shape as the event notices: a batch of rows is locked (others' locked rows skipped), turned into
``WebhookDelivery`` rows and marked fanned out in one transaction; delivery, retries and dead letters are the
sharing app's as for every webhook.
"""

from django.db import transaction
from django.utils import timezone

from apps.channels.models import StatusNotice

from ..models import WebhookDelivery
from .messages import _json, _new_deliveries


@transaction.atomic
def channel_notices_fanout(*, limit: int) -> tuple[int, bool]:
    """One batch of channel status notices as deliveries; returns (deliveries made, whether more wait)."""
    notices = list(
        StatusNotice.objects.filter(fanned_out_at__isnull=True)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("channel")
        .order_by("created_at")[:limit]
    )
    if not notices:
        return 0, False
    made = _new_deliveries(
        [
            WebhookDelivery(
                endpoint_id=notice.channel.endpoint_id,
                event_type=notice.kind,
                payload=_json({**notice.payload, "notice_id": notice.pk}),
            )
            for notice in notices
            if notice.channel.endpoint_id is not None and notice.channel.is_active
        ]
    )
    StatusNotice.objects.filter(pk__in=[n.pk for n in notices]).update(fanned_out_at=timezone.now())
    return made, len(notices) == limit
