"""Tasks (走访/核查任务): made by dispatchers, schedule rules or watch alerts, done by visits; their notices."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel
from apps.operations.models.visits import Visit


class SubjectType(models.TextChoices):
    PERSON = "person", _("person")
    BUILDING = "building", _("building")
    ORGANISATION = "organisation", _("organisation")


class TaskKind(models.TextChoices):
    VISIT = "visit", _("visit (走访)")
    VERIFY = "verify", _("verification (核查)")
    INSPECT = "inspect", _("inspection (检查)")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    DONE = "done", _("done")
    UNABLE = "unable", _("unable")
    CANCELLED = "cancelled", _("cancelled")


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.ACCEPTED)


class TaskSource(models.TextChoices):
    DISPATCHER = "dispatcher", _("dispatcher")
    SCHEDULE = "schedule", _("schedule rule")
    ALERT = "alert", _("watch alert")


class Period(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class ScheduleRule(BaseModel):
    """Tasks made every period for each subject carrying a tag (e.g. a monthly visit of every person tagged
    ``elderly_alone``), within ``territory`` (everywhere when null). The subject kinds are pluggable
    (``apps.operations.subjects``)."""

    name = models.CharField(_("name"), max_length=100)
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    tag = models.CharField(_("tag"), max_length=32)
    territory = models.ForeignKey(
        "territory.TerritoryNode", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.MONTHLY)
    task_kind = models.CharField(max_length=16, choices=TaskKind.choices, default=TaskKind.VISIT)
    title = models.CharField(_("task title"), max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("schedule rule")
        verbose_name_plural = _("schedule rules")

    def __str__(self) -> str:
        return self.name


class Task(BaseModel):
    """A request to a grid's workers to visit or verify a subject by a due date (走访/核查任务).

    Made by a dispatcher, a schedule rule (at most one per rule, subject and period) or a watch alert (one per
    arrival or departure, whatever the rules that raised alerts of it); done by a
    visit with outcome ``done``, or closed ``unable`` with a reason; ``overdue`` once past due while open.
    """

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices, default=TaskKind.VISIT)
    title = models.CharField(_("title"), max_length=200)
    due = models.DateField(_("due"))
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_id = models.UUIDField()
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(max_length=16, choices=TaskSource.choices, default=TaskSource.DISPATCHER)
    rule = models.ForeignKey(
        ScheduleRule, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    period_start = models.DateField(null=True, blank=True)
    alert = models.ForeignKey(
        "registry.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The watch alert whose follow-up this is.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_by = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["grid", "status", "due"], name="task_grid_status_due"),
            models.Index(fields=["due"], name="task_open_due", condition=Q(status__in=["open", "accepted"])),
        ]
        constraints = [
            # A schedule run twice (or by two beat processes) makes each task once.
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "period_start"],
                condition=Q(rule__isnull=False),
                name="task_once_per_rule_subject_period",
            ),
            # An alert opens one follow-up (and the alerts of one move, one between them: see alert_tasks).
            models.UniqueConstraint(
                fields=["alert"], condition=Q(alert__isnull=False), name="task_once_per_alert"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TaskNotice(BaseModel):
    """A notice to a dispatcher about a task (an overdue task is noticed once to each dispatcher of its grid)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, default="overdue")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("task notice")
        verbose_name_plural = _("task notices")
        constraints = [models.UniqueConstraint(fields=["task", "recipient", "kind"], name="task_notice_once")]
