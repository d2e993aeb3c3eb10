"""Fan-out of watch alerts (人来预警/人走提醒) as ``person.arrived`` / ``person.left`` webhooks.

The alert row is its own outbox row: a batch of alerts not yet fanned out is locked (rows another run holds
are skipped), each becomes one delivery per endpoint of the rule's department that receives alerts, and the
alerts are marked fanned out — all in one transaction, so a crash writes both or neither and a second run
sends nothing twice. The watch rule is the grant: no subscription is needed, and no other department learns
of the alert. A delivery still waiting when its rule is withdrawn is not sent (``alert_delivery_withdrawn``).
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.registry.organisations.alerts import WEBHOOK_EVENT_TYPES, alert_payload, alerts_to_fan_out
from apps.registry.organisations.models import Alert, WatchRule

from ..models import WebhookDelivery, WebhookEndpoint
from .messages import _json, _new_deliveries

ALERT_EVENT_TYPES = frozenset(str(event_type) for event_type in WEBHOOK_EVENT_TYPES.values())


@transaction.atomic
def alerts_fanout(*, limit: int) -> tuple[int, bool]:
    """One batch of alerts as deliveries to their departments' endpoints; returns (made, whether more wait)."""
    alerts = alerts_to_fan_out(limit=limit)
    if not alerts:
        return 0, False
    endpoints: dict[Any, list[Any]] = {}
    for endpoint_id, department_id in WebhookEndpoint.objects.filter(
        department_id__in={alert.department_id for alert in alerts},
        is_active=True,
        receives_alerts=True,
        department__is_active=True,
    ).values_list("pk", "department_id"):
        endpoints.setdefault(department_id, []).append(endpoint_id)
    active_rules = set(
        WatchRule.objects.filter(pk__in={a.rule_id for a in alerts}, is_active=True).values_list(
            "pk", flat=True
        )
    )
    made = _new_deliveries(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type=WEBHOOK_EVENT_TYPES[alert.kind],  # type: ignore[index]
                payload=_json(alert_payload(alert)),
            )
            for alert in alerts
            if alert.rule_id in active_rules  # a rule withdrawn meanwhile: its grant is gone
            for endpoint_id in endpoints.get(alert.department_id, [])
        ]
    )
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(fanned_out_at=timezone.now())
    return made, len(alerts) == limit


def alert_delivery_withdrawn(delivery: WebhookDelivery) -> bool:
    """Whether ``delivery`` carries an alert whose watch rule is no longer active (or no longer the
    endpoint's department's): a grant withdrawn after the fan-out is not honoured on a retry."""
    if delivery.event_type not in ALERT_EVENT_TYPES:
        return False
    rule_id = str((delivery.payload or {}).get("rule") or "")
    return (
        not rule_id
        or not WatchRule.objects.filter(
            pk=rule_id, is_active=True, department_id=delivery.endpoint.department_id
        ).exists()
    )
