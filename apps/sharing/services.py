"""Writes of sharing: subscriptions, only by administrators, each change audited in the same transaction."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .feeds import fanout_start_cursor
from .models import CatalogueField, Delivery, Subscription, SubscriptionAudit, WebhookEndpoint

EDITABLE = ("name", "record_types", "fields", "person_tags", "purpose", "delivery", "endpoint", "is_active")


def _snapshot(subscription: Subscription) -> dict[str, Any]:
    return {
        "department": subscription.department.code, "name": subscription.name,
        "record_types": list(subscription.record_types), "fields": sorted(subscription.fields),
        "nodes": sorted(node.code for node in subscription.nodes.all()), "person_tags": list(subscription.person_tags),
        "purpose": subscription.purpose, "delivery": subscription.delivery,
        "endpoint": str(subscription.endpoint_id) if subscription.endpoint_id else None,
        "is_active": subscription.is_active, "version": subscription.version,
    }  # fmt: skip


def _check(values: dict[str, Any], *, department: Any, nodes: list[Any] | None) -> None:
    errors: dict[str, list[str]] = {}
    known = {f"{t}.{f}" for t, f in CatalogueField.objects.values_list("record_type", "field")}
    unknown = sorted(set(values.get("fields", [])) - known)
    if unknown:
        errors["fields"] = [_("Not in the catalogue: %(fields)s") % {"fields": ", ".join(unknown)}]
    types = set(values.get("record_types", []))
    outside = sorted(f for f in values.get("fields", []) if f.split(".")[0] not in types)
    if outside and "fields" not in errors:
        errors["fields"] = [
            _("Fields of record types not subscribed: %(fields)s") % {"fields": ", ".join(outside)}
        ]
    if not str(values.get("purpose", "")).strip():
        errors["purpose"] = [_("A purpose is required: why the department needs this data.")]
    delivery, endpoint = values.get("delivery", Delivery.FEED), values.get("endpoint")
    if delivery != Delivery.FEED and endpoint is None:
        errors["endpoint"] = [_("Webhook delivery needs an endpoint of the department.")]
    if endpoint is not None and endpoint.department_id != department.pk:
        errors["endpoint"] = [_("The endpoint belongs to another department.")]
    if nodes is not None and not nodes:
        errors["nodes"] = [_("At least one territory node.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_create(*, department: Any, nodes: list[Any], actor: Any, **values: Any) -> Subscription:
    """Grant ``department`` what ``values`` say over ``nodes``; audited."""
    _check(values, department=department, nodes=nodes)
    subscription = Subscription.objects.create(
        department=department, **{k: v for k, v in values.items() if k in EDITABLE}
    )
    subscription.nodes.set(nodes)
    if subscription.delivery != Delivery.FEED:
        # Webhooks carry every change committed from now on; the position is taken in this transaction.
        subscription.fanout_cursor = fanout_start_cursor(subscription)
        subscription.save(update_fields=["fanout_cursor"])
    SubscriptionAudit.objects.create(
        subscription=subscription, actor=actor, action="created", after=_snapshot(subscription)
    )
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, actor: Any, nodes: list[Any] | None = None, **values: Any
) -> Subscription:
    """Change a subscription (a new version: feeds re-send their scope in the new shape); audited."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    before = _snapshot(subscription)
    merged = {name: getattr(subscription, name) for name in EDITABLE} | values
    _check(merged, department=subscription.department, nodes=nodes)
    for name, value in values.items():
        if name in EDITABLE:
            setattr(subscription, name, value)
    subscription.version += 1
    subscription.save()
    if nodes is not None:
        subscription.nodes.set(nodes)
    if subscription.delivery != Delivery.FEED and not subscription.fanout_cursor:
        subscription.fanout_cursor = fanout_start_cursor(subscription)
        subscription.save(update_fields=["fanout_cursor"])
    action = "deactivated" if before["is_active"] and not subscription.is_active else "updated"
    SubscriptionAudit.objects.create(subscription=subscription, actor=actor, action=action, before=before,
                                     after=_snapshot(subscription))  # fmt: skip
    return subscription


def endpoint_of(department: Any, endpoint_id: Any) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id, department=department).first()
