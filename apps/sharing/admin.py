"""Staff screens: the catalogue, subscriptions with their audit trail, webhook endpoints and deliveries."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from apps.core.admin import HistoryInline

from .models import (
    CatalogueField,
    DeliveryStatus,
    Subscription,
    SubscriptionAudit,
    WebhookDelivery,
    WebhookEndpoint,
)
from .webhooks import delivery_replay


@admin.register(CatalogueField)
class CatalogueFieldAdmin(admin.ModelAdmin):
    list_display = ["record_type", "field", "sensitivity", "label", "maskable"]
    list_filter = ["record_type", "sensitivity"]


class AuditInline(HistoryInline):
    model = SubscriptionAudit
    fields = readonly_fields = ("at", "action", "actor", "before", "after")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Shown here; granted and changed through the API so that every change is validated and audited."""

    list_display = ["name", "department", "record_types", "delivery", "is_active", "version", "updated_at"]
    list_filter = ["delivery", "is_active", "department"]
    inlines = [AuditInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Subscription._meta.fields] + ["nodes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "department", "url", "receives_events", "receives_alerts", "is_active", "disabled_at", "disabled_reason",
    ]  # fmt: skip
    list_filter = ["is_active", "receives_events", "receives_alerts"]
    readonly_fields = ["secret_sealed", "disabled_at", "disabled_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API, which checks the URL and shows the secret once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_error",
    ]
    list_filter = ["status", "event_type"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay the selected dead letters"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        replayed = 0
        for delivery in queryset.filter(status=DeliveryStatus.DEAD):
            delivery_replay(delivery=delivery, actor=request.user)
            replayed += 1
        self.message_user(
            request, _("%(count)d deliveries replayed.") % {"count": replayed}, messages.SUCCESS
        )
