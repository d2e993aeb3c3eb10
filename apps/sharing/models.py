"""Sharing with departments ("share many"): the data catalogue, subscriptions, webhook endpoints and the
deliveries owed to them. (The access log lives in ``apps.journal``: every app that reveals personal data
writes it.)"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel

# What a subscription may grant. An ``alert`` (人来预警/人走提醒) is only ever shared with the department its watch
# rule names: a subscription to alerts narrows those to its territory and fields, it never widens them.
RECORD_TYPES = [
    ("building", _("building")),
    ("person", _("person")),
    ("residence", _("residence")),
    ("organisation", _("organisation")),
    ("employment", _("employment")),
    ("alert", _("alert")),
]


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("public")
    INTERNAL = "internal", _("internal")
    SENSITIVE = "sensitive", _("sensitive")
    SPECIAL = "special", _("special category")


class CatalogueField(models.Model):
    """One shareable field of a record type (目录清单) and how sensitive it is. Seeded by a migration."""

    record_type = models.CharField(_("record type"), max_length=16, choices=RECORD_TYPES)
    field = models.CharField(_("field"), max_length=64)
    sensitivity = models.CharField(_("sensitivity"), max_length=16, choices=Sensitivity.choices)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    maskable = models.BooleanField(default=False, help_text=_("Shown masked when not granted in full."))

    class Meta:
        verbose_name = _("catalogue field")
        verbose_name_plural = _("catalogue")
        ordering = ["record_type", "field"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "field"], name="catalogue_field_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.field} ({self.sensitivity})"


class WebhookEndpoint(BaseModel):
    """Where a department's system receives signed webhooks; disabled when the receiver answers 410.

    The signing secret is stored sealed (authenticated encryption) and shown once when created.
    """

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    secret_sealed = models.TextField(editable=False)
    receives_events = models.BooleanField(
        _("receives event notices"), default=True, help_text=_("event.dispatched, event.overdue, …")
    )
    receives_alerts = models.BooleanField(
        _("receives watch alerts"),
        default=True,
        help_text=_("person.arrived, person.left: the alerts of the department's watch rules"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.department_id} → {self.url}"


class Delivery(models.TextChoices):
    FEED = "feed", _("pull feed")
    WEBHOOK = "webhook", _("webhook")
    BOTH = "both", _("feed and webhook")


class Subscription(BaseModel):
    """What one department is granted: record types × fields × territory × row filter, for a purpose.

    ``fields`` holds ``<type>.<field>`` names of the catalogue; a granted maskable field is sent in full,
    an ungranted maskable one masked, any other ungranted field not at all. ``person_tags`` (optional)
    limits people to those with one of the tags. Only administrators create or change subscriptions,
    and every change is audited.
    """

    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="subscriptions"
    )
    name = models.CharField(_("name"), max_length=100)
    record_types = ArrayField(models.CharField(max_length=16, choices=RECORD_TYPES))
    fields = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    nodes = models.ManyToManyField("territory.TerritoryNode", related_name="+", verbose_name=_("territory"))
    person_tags = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    purpose = models.TextField(_("purpose"))
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.FEED)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions"
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    # Where webhook fan-out stands: a feed cursor (never-skip journal position and scope), advanced in the
    # same transaction that writes the deliveries.
    fanout_cursor = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(condition=~Q(purpose=""), name="subscription_purpose_required"),
            models.CheckConstraint(
                condition=Q(delivery="feed") | Q(endpoint__isnull=False),
                name="subscription_webhook_needs_endpoint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}: {self.name}"


class SubscriptionAudit(models.Model):
    """One change of a subscription: who, when, what it was and what it became."""

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=16)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription change")
        verbose_name_plural = _("subscription changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.action} at {self.at}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("dead letter")


class WebhookDelivery(models.Model):
    """One message owed to an endpoint (the outbox). ``id`` is the ``webhook-id``: the same on every retry."""

    id = models.UUIDField(primary_key=True, default=uuid7)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["endpoint", "status"], name="delivery_endpoint_status"),
        ]

    def __str__(self) -> str:
        return f"msg_{self.id.hex} {self.event_type} ({self.status})"
