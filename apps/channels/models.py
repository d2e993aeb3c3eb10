"""Channels events arrive through besides gridapi's own users: residents' apps speaking Open311 GeoReport v2,
the 12345 hotline's work orders and networks of sensors.

A channel is a system with a key (stored hashed, its prefix visible) and an account that its events name as
reporter. What the channel said — its own id for the request, the caller, a media link, a sensor's alarms — is
kept here, linked to the event it became or was attached to; the event itself only knows its ``source``.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel


class ChannelKind(models.TextChoices):
    OPEN311 = "open311", _("Open311 GeoReport v2")
    HOTLINE = "hotline", _("12345 hotline")
    SENSOR = "sensor", _("sensor network")


class Channel(BaseModel):
    """A system that reports events: its key reads ``gch_<prefix>_<secret>``, only the hash is stored.

    ``account`` is the user its events name as reporter (it cannot sign in). ``endpoint`` receives the
    ``event.status_changed`` webhooks of the events the channel reported.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="channel", editable=False
    )
    endpoint = models.ForeignKey(
        "sharing.WebhookEndpoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="channels",
        verbose_name=_("webhook endpoint"),
    )  # fmt: skip
    triage_category = models.ForeignKey(
        "events.EventCategory", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("category of unmapped requests"),
        help_text=_("Requests whose category is not mapped are filed under it and wait in triage."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class CategoryMapping(models.Model):
    """One of the channel's own codes (a hotline's 工单分类, a sensor's alarm kind) → a catalogue category."""

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="mappings")
    external_code = models.CharField(_("their code"), max_length=64)
    category = models.ForeignKey("events.EventCategory", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        ordering = ["channel_id", "external_code"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_code"], name="mapping_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.external_code} → {self.category_id}"


class ServiceAttribute(models.Model):
    """An extra field an Open311 service (a category) asks for: its ``services/<code>`` attributes."""

    id = models.BigAutoField(primary_key=True)
    category = models.ForeignKey("events.EventCategory", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("code"), max_length=64)
    datatype = models.CharField(
        max_length=16,
        choices=[
            (v, v) for v in ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
        ],
        default="string",
    )
    required = models.BooleanField(default=False)
    description = models.CharField(_("description"), max_length=300)
    datatype_description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=1)
    values = models.JSONField(default=list, blank=True, help_text='[{"key": "…", "name": "…"}] for lists.')

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["category_id", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="attribute_unique_code")]


class ChannelRequest(BaseModel):
    """One request a channel sent (an Open311 request, a work order, a sensor's alarm episode).

    ``external_id`` is the channel's own id and the idempotency key: one row per channel and id, whatever
    is retried or sent concurrently. ``event`` is the event it became or was attached to. Caller data are
    sealed and shown only to the handling department.
    """

    id = models.UUIDField(primary_key=True, default=uuid7)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="requests")
    external_id = models.CharField(_("their id"), max_length=128)
    token = models.CharField(max_length=32, unique=True)
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+")
    # The id of the event report it made: when a dispatcher splits that report out, the request follows it.
    submitted_id = models.UUIDField(unique=True)
    attached = models.BooleanField(default=False, help_text="Attached to an open event it duplicated.")
    external_code = models.CharField(_("their category code"), max_length=64, blank=True)
    # What this request said (the event may be another report's, attached to): Open311 shows these.
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    address_id = models.CharField(max_length=64, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    caller_name_sealed = models.TextField(blank=True, editable=False)
    caller_phone_sealed = models.TextField(blank=True, editable=False)
    sensor_id = models.CharField(max_length=128, blank=True)
    alarm_count = models.PositiveIntegerField(default=0)
    last_alarm_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("channel request")
        verbose_name_plural = _("channel requests")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="channel_request_unique_external")
        ]
        indexes = [
            models.Index(
                fields=["channel", "sensor_id", "last_alarm_at"],
                name="channel_request_sensor",
                condition=~Q(sensor_id=""),
            ),
        ]


class SensorAlarm(models.Model):
    """One alarm of a sensor, kept whatever it led to (a new event, an attachment, a note, nothing)."""

    class Level(models.TextChoices):
        INFO = "info", _("info")
        WARNING = "warning", _("warning")
        ALARM = "alarm", _("alarm")
        CLEARED = "cleared", _("cleared")

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="alarms")
    sensor_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=64)
    level = models.CharField(max_length=16, choices=Level.choices)
    at = models.DateTimeField()
    location = models.PointField(srid=4326)
    request = models.ForeignKey(
        ChannelRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms"
    )
    outcome = models.CharField(max_length=16)  # created, attached, flapping, cleared, ignored
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sensor alarm")
        verbose_name_plural = _("sensor alarms")
        indexes = [models.Index(fields=["channel", "sensor_id", "at"], name="alarm_sensor_at")]


class StatusNotice(BaseModel):
    """An ``event.status_changed`` owed to a channel, written in the transaction of the change (an outbox row).

    The sharing app's webhook fan-out turns it into a signed delivery to the channel's endpoint.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notices")
    request = models.ForeignKey(ChannelRequest, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32, default="event.status_changed")
    payload = models.JSONField(default=dict)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("channel status notice")
        verbose_name_plural = _("channel status notices")
        indexes = [
            models.Index(
                fields=["created_at"], name="channel_notice_pending", condition=Q(fanned_out_at__isnull=True)
            )
        ]
