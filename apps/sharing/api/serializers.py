"""Shapes of the sharing API: the catalogue, subscriptions, the feed query, the access log."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.journal.models import AccessLogEntry

from ..models import RECORD_TYPES, CatalogueField, Delivery, Subscription, WebhookDelivery, WebhookEndpoint


class CatalogueFieldSerializer(serializers.ModelSerializer[CatalogueField]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = CatalogueField
        fields = ["name", "record_type", "field", "sensitivity", "label", "label_en", "maskable"]

    def get_name(self, obj: CatalogueField) -> str:
        return f"{obj.record_type}.{obj.field}"


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    nodes: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Subscription
        fields = ["id", "department", "name", "record_types", "fields", "nodes", "person_tags", "purpose", "delivery",
                  "endpoint", "is_active", "version", "created_at", "updated_at"]  # fmt: skip


class SubscriptionInputSerializer(serializers.Serializer[Any]):
    department = serializers.CharField(max_length=32, help_text="Department code (on create).")
    name = serializers.CharField(max_length=100)
    record_types = serializers.ListField(
        child=serializers.ChoiceField(choices=RECORD_TYPES), min_length=1, max_length=len(RECORD_TYPES)
    )
    nodes = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1, max_length=200,
                                  help_text="Territory node codes.")  # fmt: skip
    person_tags = serializers.ListField(
        child=serializers.CharField(max_length=32), max_length=20, default=list
    )
    purpose = serializers.CharField(max_length=2000)
    delivery = serializers.ChoiceField(choices=Delivery.choices, default=Delivery.FEED)
    endpoint = serializers.UUIDField(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(default=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields" would shadow the serializer's own ``fields`` as a class attribute; declared here instead.
        declared = super().get_fields()
        declared["fields"] = serializers.ListField(
            child=serializers.CharField(max_length=80), max_length=100, default=list,
            help_text="Granted fields as <type>.<field> names of the catalogue.",
        )  # fmt: skip
        return declared

    def validate_fields(self, value: list[str]) -> list[str]:
        if any("." not in name for name in value):
            raise serializers.ValidationError(_("Name fields as <type>.<field>, e.g. person.name."))
        return sorted(set(value))


class FeedQuerySerializer(serializers.Serializer[Any]):
    cursor = serializers.CharField(required=False, max_length=4096)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=500)


class AccessLogEntrySerializer(serializers.ModelSerializer[AccessLogEntry]):
    class Meta:
        model = AccessLogEntry
        fields = ["id", "at", "user_id", "department_id", "subscription_id", "purpose", "channel", "record_type",
                  "record_ids", "fields"]  # fmt: skip


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "department", "url", "receives_events", "receives_alerts", "is_active", "disabled_at",
                  "disabled_reason", "created_at"]  # fmt: skip


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret (whsec_…): shown once, store it now.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(serializers.Serializer[Any]):
    department = serializers.CharField(max_length=32)
    url = serializers.URLField(max_length=500)
    receives_events = serializers.BooleanField(default=True)
    receives_alerts = serializers.BooleanField(
        default=True, help_text="person.arrived, person.left of the department's watch rules."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    webhook_id = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook_id", "endpoint", "subscription", "event_type", "status", "attempts",
                  "next_attempt_at", "last_status", "last_error", "created_at", "delivered_at"]  # fmt: skip

    def get_webhook_id(self, obj: WebhookDelivery) -> str:
        return f"msg_{obj.id.hex}"
