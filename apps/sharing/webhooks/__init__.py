"""Webhooks: signed delivery of a subscription's changes, of event notices and of watch alerts (person.arrived,
person.left) to a department's endpoint.

The flow is an outbox. Fan-out turns what happened into ``WebhookDelivery`` rows in the same transaction
that advances its position (a subscription's feed cursor, a notice's or an alert's ``fanned_out_at``), so a crash writes
both or neither. A Celery task then claims one row with a conditional UPDATE, POSTs it following the
Standard Webhooks spec (https://www.standardwebhooks.com) and records the outcome; failures are retried on
a fixed schedule with jitter for about three days, then kept as dead letters an administrator may replay.
A periodic due-scan re-sends retries and rows whose worker died, so a lost task delays a delivery but
never loses it. Delivery is at least once; a row's id is its ``webhook-id`` on every attempt.

Endpoints are checked against SSRF when created and again before every attempt (the name may resolve
elsewhere by then): only http(s) to public addresses, and the connection goes to the address checked.
"""

from .alerts import ALERT_EVENT_TYPES, alerts_fanout
from .attempts import deliveries_attempt, delivery_attempt
from .delivery import (
    JITTER,
    SCHEDULE,
    deliveries_due,
    deliveries_resend_due,
    delivery_replay,
    retry_delay,
)
from .endpoints import SECRET_PREFIX, AddressRefusedError, endpoint_create, endpoint_disable, url_problem
from .fanout import (
    WEBHOOK_DELIVERIES,
    change_event_type,
    notices_fanout,
    subscription_fanout,
    webhooks_fanout,
)
from .messages import delivery_body, webhook_id, webhook_signature

__all__ = [
    "ALERT_EVENT_TYPES", "JITTER", "SCHEDULE", "SECRET_PREFIX", "WEBHOOK_DELIVERIES", "AddressRefusedError",
    "alerts_fanout", "change_event_type", "deliveries_attempt", "deliveries_due", "deliveries_resend_due", "delivery_attempt",
    "delivery_body", "delivery_replay", "endpoint_create", "endpoint_disable", "notices_fanout", "retry_delay",
    "subscription_fanout", "url_problem", "webhook_id", "webhook_signature", "webhooks_fanout",
]  # fmt: skip
