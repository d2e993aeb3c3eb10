"""Events (事件): what is reported, where it was routed and why, and every step to closure (闭环).

The lifecycle itself (who may do what, in which state) is in ``apps.events.lifecycle``; the models hold
data and invariants only.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.ids import uuid7
from apps.core.models import BaseModel
from apps.departments.models import DepartmentLevel

# Handling levels from the bottom up; escalation moves one step up this list.
LEVELS: list[str] = [
    DepartmentLevel.COMMUNITY.value,
    DepartmentLevel.SUBDISTRICT.value,
    DepartmentLevel.DISTRICT.value,
    DepartmentLevel.CITY.value,
]


class EventFamily(models.Model):
    """A family of categories (矛盾纠纷, 消防隐患, …): duplicate reports are detected within a family."""

    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("event family")
        verbose_name_plural = _("event families")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EventCategory(models.Model):
    """A category of event (事件类型) with its default handling level, deadlines and duplicate window.

    ``code`` is stable: devices and department systems send and receive it.
    """

    code = models.CharField(_("code"), max_length=48, primary_key=True)
    family = models.ForeignKey(EventFamily, on_delete=models.PROTECT, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    default_level = models.CharField(
        _("default handling level"), max_length=16, choices=DepartmentLevel.choices
    )
    sign_hours = models.DecimalField(
        _("time to sign (business hours)"), max_digits=6, decimal_places=2, default=2
    )
    handle_days = models.DecimalField(
        _("time to handle (working days)"), max_digits=6, decimal_places=2, default=5
    )
    self_resolvable = models.BooleanField(
        _("may be resolved on the spot"),
        default=False,
        help_text=_("Minor matters a worker may fix and close."),
    )
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=100)
    duplicate_window_hours = models.PositiveIntegerField(_("duplicate window (h)"), default=72)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["family_id", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(sign_hours__gt=0), name="category_sign_hours_positive"),
            models.CheckConstraint(condition=Q(handle_days__gt=0), name="category_handle_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoutingRule(BaseModel):
    """(category or family, handling level, territory node) → the department that handles it.

    For an event, the rules of its level whose node contains the event's grid compete; the deepest node
    wins, and at the same node a category rule beats a family rule. Two rules of the same kind at the same
    node and level would tie, so the database refuses them.
    """

    category = models.ForeignKey(
        EventCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )
    family = models.ForeignKey(
        EventFamily, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )
    level = models.CharField(_("handling level"), max_length=16, choices=DepartmentLevel.choices)
    node = models.ForeignKey(
        "territory.TerritoryNode", on_delete=models.PROTECT, related_name="+", verbose_name=_("territory")
    )
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="routing_rules"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True, family__isnull=False)
                | Q(category__isnull=False, family__isnull=True),
                name="rule_category_xor_family",
            ),
            models.UniqueConstraint(
                fields=["category", "level", "node"],
                condition=Q(category__isnull=False),
                name="rule_unique_category",
            ),
            models.UniqueConstraint(
                fields=["family", "level", "node"],
                condition=Q(family__isnull=False),
                name="rule_unique_family",
            ),
        ]
        indexes = [models.Index(fields=["level", "node"], name="rule_level_node")]

    def __str__(self) -> str:
        return f"{self.category_id or self.family_id} @ {self.level} {self.node_id} → {self.department_id}"


class CalendarOverride(models.Model):
    """An administrator's correction of the working-day calendar (a local holiday, a late-announced 调休)."""

    date = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'day off'}"


class Status(models.TextChoices):
    REPORTED = "reported", _("reported (上报)")
    ACCEPTED = "accepted", _("accepted (受理)")
    DISPATCHED = "dispatched", _("dispatched (分拨)")
    SIGNED = "signed", _("signed (签收)")
    IN_PROGRESS = "in_progress", _("in progress (处置中)")
    HANDLED = "handled", _("handled (处置反馈)")
    CLOSED = "closed", _("closed (结案)")
    RATED = "rated", _("rated (回访评价)")
    CANCELLED = "cancelled", _("cancelled (注销)")
    MERGED = "merged", _("merged into another event")


OPEN_STATUSES = [
    Status.REPORTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.SIGNED,
    Status.IN_PROGRESS,
    Status.HANDLED,
]


class Source(models.TextChoices):
    """Where a report came from: a person of gridapi, or a channel (``source_ref`` is the channel's id)."""

    WORKER = "worker", _("grid worker")
    DISPATCHER = "dispatcher", _("dispatcher")
    OPEN311 = "open311", _("Open311 (residents' apps)")
    HOTLINE = "hotline", _("12345 hotline")
    SENSOR = "sensor", _("sensor alarm")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("normal")
    HIGH = 1, _("high")
    URGENT = 2, _("urgent")


class Event(BaseModel):
    """One reported problem, followed from report to closure.

    ``department`` is null while the event waits in the triage queue. Deadlines are instants computed on
    the working-day calendar; ``suspended_at`` set means the clock is paused. ``routing`` explains the
    last routing decision (rule, node, level, why).
    """

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="events")
    title = models.CharField(pgettext_lazy("event", "title"), max_length=200)  # 标题, not a job title (职务)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_events"
    )
    location = models.PointField(_("location"), srid=4326)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.WORKER)
    source_ref = models.CharField(
        _("source reference"),
        max_length=64,
        blank=True,
        help_text="The channel's id when a channel reported it.",
    )
    grid = models.ForeignKey(
        "territory.TerritoryNode", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    territory_path = models.CharField(max_length=255, blank=True, help_text="The grid's path, for scopes.")
    building = models.ForeignKey(
        "registry.Building", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    person_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    photos = ArrayField(models.CharField(max_length=64), default=list, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    level = models.CharField(_("handling level"), max_length=16, choices=DepartmentLevel.choices)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    routing = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    report_count = models.PositiveIntegerField(default=1)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    dispatched_at = models.DateTimeField(null=True, blank=True)
    sign_by = models.DateTimeField(_("sign by"), null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    handle_by = models.DateTimeField(_("handle by"), null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    extension_requested_days = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    overdue_since = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True, help_text="When the overdue event escalates.")
    return_count = models.PositiveIntegerField(default=0)
    rework_count = models.PositiveIntegerField(default=0)
    escalation_count = models.PositiveIntegerField(default=0)
    reminder_count = models.PositiveIntegerField(default=0)
    self_resolved = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["department", "status"], name="event_department_status"),
            models.Index(fields=["grid", "status"], name="event_grid_status"),
            models.Index(fields=["reporter", "reported_at"], name="event_reporter"),
            GinIndex(fields=["photos"], name="event_photos"),  # who may read a photo
            models.Index(
                fields=["territory_path"], name="event_territory_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # The escalation scan reads only open events with a running clock.
            models.Index(fields=["sign_by"], name="event_sign_due", condition=Q(status="dispatched")),
            models.Index(
                fields=["handle_by"],
                name="event_handle_due",
                condition=Q(status__in=["signed", "in_progress"]),
            ),
            models.Index(fields=["escalate_at"], name="event_escalate_due", condition=Q(overdue=True)),
            models.Index(
                fields=["category", "reported_at"],
                name="event_open_reported",
                condition=Q(
                    status__in=["reported", "accepted", "dispatched", "signed", "in_progress", "handled"]
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="event_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventReport(BaseModel):
    """One report of an event: the first one, and each later report attached to it as a duplicate.

    ``submitted_id`` is the id the reporting device gave; when a report is split back out it becomes an
    event with that id again.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reports")
    submitted_id = models.UUIDField(unique=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    category = models.ForeignKey(EventCategory, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    location = models.PointField(srid=4326)
    # What the report named besides its place, kept so that a report split back out is the event it reported.
    occurred_at = models.DateTimeField(null=True, blank=True)
    building = models.ForeignKey(
        "registry.Building", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    photos = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    device_id = models.CharField(max_length=128, blank=True)
    distance_m = models.FloatField(
        null=True, blank=True, help_text="Distance to the event it was attached to."
    )
    is_original = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("event report")
        verbose_name_plural = _("event reports")
        ordering = ["reported_at"]
        indexes = [GinIndex(fields=["photos"], name="event_report_photos")]


class TimelineEntry(models.Model):
    """One step in an event's life: who did what, when, from which state to which, with note and photos."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_department = models.ForeignKey(
        "departments.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="system, an API key, …")
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    photos = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["event_id", "id"]
        indexes = [GinIndex(fields=["photos"], name="timeline_photos")]

    def __str__(self) -> str:  # readable in the admin: "2026-12-05 09:30 dispatch accepted → dispatched"
        moved = f" {self.from_status or '·'} → {self.to_status}" if self.to_status else ""
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.action}{moved}"


class NoticeKind(models.TextChoices):
    DISPATCHED = "event.dispatched", _("dispatched")
    OVERDUE = "event.overdue", _("overdue")
    REMINDER = "event.reminder", _("reminder (催办)")
    ESCALATED = "event.escalated", _("escalated")


class EventNotice(BaseModel):
    """A notice owed to a department, written in the same transaction as the change (an outbox row).

    Department systems read them through the API; signed webhook delivery reads the same rows.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notices")
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    payload = models.JSONField(default=dict)
    fanned_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When webhook deliveries were made of it."
    )

    class Meta:
        verbose_name = _("event notice")
        verbose_name_plural = _("event notices")
        indexes = [
            models.Index(fields=["department", "created_at"], name="notice_department_created"),
            models.Index(
                fields=["created_at"], name="notice_not_fanned_out", condition=Q(fanned_out_at__isnull=True)
            ),
        ]


class TriageEvent(Event):
    """The triage queue in the admin: events no rule routed and events a department returned."""

    class Meta:
        proxy = True
        verbose_name = _("event in triage")
        verbose_name_plural = _("triage queue")
