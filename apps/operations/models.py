"""Grid operations: patrols with their raw fixes and derived track, patrol points and check-ins, visits, tasks
and the schedule rules that make tasks.

A patrol keeps every raw fix as evidence (``PatrolFix``, one narrow row per fix, keyed by (patrol, seq)), and
beside it a derived, simplified ``track`` with its figures and plausibility flags, rebuilt from the fixes.
"""

from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel

# The maximum distance, in metres, between the simplified track and any raw fix used to build it.
TRACK_MAX_DEVIATION_M = 5.0
# Fixes whose stated accuracy is worse than this are kept but left out of the geometry and the figures.
FIX_ACCURACY_LIMIT_M = 50.0


class LineStringMField(models.Field):
    """A ``geometry(LineStringM, 4326)`` column, read as WKT text.

    GEOS (3.11 here) drops M ordinates, so the column is written by SQL only (see ``services/derive.py``) and
    read as text or through PostGIS functions; ``Patrol.path`` holds the same line in 2D for maps.
    """

    description = "LineStringM (SRID 4326), read as WKT"

    def db_type(self, connection: Any) -> str:
        return "geometry(LineStringM,4326)"

    def select_format(self, compiler: Any, sql: str, params: Any) -> tuple[str, Any]:
        return f"ST_AsText({sql})", params


class RealField(models.FloatField):
    """A 4-byte float: accuracy and speed need no more, and a fix row is stored millions of times."""

    def db_type(self, connection: Any) -> str:
        return "real"


class PatrolKind(models.TextChoices):
    ROUTINE = "routine", _("routine patrol")
    SPECIAL = "special", _("special patrol (专项)")
    NIGHT = "night", _("night patrol")


class PatrolFlag(models.TextChoices):
    """Plausibility flags: a flagged patrol is shown to dispatchers, never silently rejected."""

    JUMP = "jump", _("a jump faster than 120 km/h")
    TIME_BACKWARDS = "time_backwards", _("time going backwards")
    MOCK = "mock", _("mock location reported by the device")
    OUTSIDE = "outside", _("most fixes outside the assigned grids")
    NEVER_MOVES = "never_moves", _("the track never moves")


class Patrol(BaseModel):
    """One walk of one worker (巡查): kind, start and end, the grids it was for, the raw fixes and check-ins.

    ``version`` goes up with every accepted chunk; ``derived_version`` is the version the derived ``track``,
    ``path``, figures and ``flags`` were computed at (they lag while a running patrol is being derived).
    """

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    kind = models.CharField(_("kind"), max_length=16, choices=PatrolKind.choices, default=PatrolKind.ROUTINE)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    grids = models.ManyToManyField("territory.TerritoryNode", related_name="+", verbose_name=_("grids"))
    note = models.TextField(_("note"), blank=True)
    device_id = models.CharField(max_length=128, blank=True)

    track = LineStringMField(null=True, blank=True, editable=False)
    path = models.LineStringField(_("track"), srid=4326, null=True, blank=True, editable=False)
    fix_count = models.PositiveIntegerField(default=0)
    fixes_used = models.PositiveIntegerField(default=0, help_text="Fixes in the geometry and figures.")
    distance_m = models.FloatField(default=0)
    moving_s = models.FloatField(default=0)
    idle_s = models.FloatField(default=0)
    inside_s = models.FloatField(default=0, help_text="Seconds inside the assigned grids.")
    effective_s = models.FloatField(default=0, help_text="Moving, inside the grids, in no flagged stretch.")
    flagged_s = models.FloatField(default=0)
    buildings_passed = models.PositiveIntegerField(default=0)
    checkin_count = models.PositiveIntegerField(default=0)
    flags = ArrayField(models.CharField(max_length=16, choices=PatrolFlag.choices), default=list, blank=True)
    derived_version = models.PositiveIntegerField(default=0)
    derived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        indexes = [
            models.Index(fields=["worker", "started_at"], name="patrol_worker_started"),
            models.Index(fields=["started_at"], name="patrol_started"),
            GinIndex(fields=["flags"], name="patrol_flags"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="patrol_times_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.started_at:%Y-%m-%d %H:%M}"


class Provider(models.IntegerChoices):
    OTHER = 0, _("other")
    GPS = 1, _("GPS")
    NETWORK = 2, _("network")
    FUSED = 3, _("fused")


PROVIDER_CODES = {
    "gps": Provider.GPS,
    "network": Provider.NETWORK,
    "fused": Provider.FUSED,
    "other": Provider.OTHER,
}


class PatrolFix(models.Model):
    """One raw position fix of a patrol, exactly as the device sent it (evidence; never rewritten).

    Narrow on purpose — an 8-hour patrol at one fix per 5 s is 5,760 rows: the key (patrol, seq) is the only
    index, coordinates are two doubles rather than a geometry, accuracy and speed 4-byte floats, the provider
    a small integer. Columns are ordered so that none is padded.
    """

    pk = models.CompositePrimaryKey("patrol_id", "seq")
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="fixes", db_index=False)
    t = models.DateTimeField()
    lon = models.FloatField()
    lat = models.FloatField()
    seq = models.IntegerField()
    accuracy_m = RealField(null=True)
    speed_mps = RealField(null=True)
    provider = models.SmallIntegerField(choices=Provider.choices, default=Provider.OTHER)
    mock = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("patrol fix")
        verbose_name_plural = _("patrol fixes")
        constraints = [models.CheckConstraint(condition=Q(seq__gte=0), name="patrolfix_seq_not_negative")]


class CheckMethod(models.TextChoices):
    GPS = "gps", _("GPS")
    QR = "qr", _("QR code")
    NFC = "nfc", _("NFC tag")
    PHOTO = "photo", _("photo")


class PointSchedule(models.TextChoices):
    NONE = "none", _("no schedule")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class PatrolPoint(BaseModel):
    """A place that must be seen (巡更点): a location with a radius, the check-in methods it accepts, a schedule.

    A check-in counts when its fix lies within ``radius_m`` and its accuracy is no worse than the radius; a
    scheduled point without a counted check-in in a window of its schedule is a missed check (漏巡).
    """

    version = models.PositiveIntegerField(default=1)
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    location = models.PointField(_("location"), srid=4326)
    radius_m = models.FloatField(_("radius (m)"), default=30)
    methods = ArrayField(models.CharField(max_length=8, choices=CheckMethod.choices), default=list)
    schedule = models.CharField(max_length=8, choices=PointSchedule.choices, default=PointSchedule.DAILY)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("patrol point")
        verbose_name_plural = _("patrol points")

    def __str__(self) -> str:
        return self.name


class CheckIn(BaseModel):
    """A check-in at a patrol point (by GPS, QR, NFC or photo), with whether it counts and why not."""

    point = models.ForeignKey(PatrolPoint, on_delete=models.PROTECT, related_name="checkins")
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, null=True, blank=True, related_name="checkins"
    )
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    t = models.DateTimeField()
    location = models.PointField(srid=4326, null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=8, choices=CheckMethod.choices)
    photo = models.CharField(max_length=64, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    counted = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [models.Index(fields=["point", "t"], name="checkin_point_time")]
        constraints = [
            # A chunk re-sent carries its check-ins again: they are stored once.
            models.UniqueConstraint(fields=["point", "worker", "t"], name="checkin_once"),
        ]


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("routine")
    KEY_PERSON = "key_person", _("key person (重点人员)")
    CARE = "care", _("care (关爱)")
    DISPUTE = "dispute", _("mediation (调解)")
    SAFETY = "safety", _("safety inspection (安全检查)")
    CENSUS = "census", _("verification (核查)")


class VisitOutcome(models.TextChoices):
    DONE = "done", _("done")
    NOBODY_HOME = "nobody_home", _("nobody home")
    REFUSED = "refused", _("refused")
    MOVED_OUT = "moved_out", _("moved out")


class Visit(BaseModel):
    """A visit (入户走访): who went where (building and room, or an organisation), whom they met, why, what
    came of it, and the events raised. A visit with outcome ``done`` completes the task it names."""

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(_("kind"), max_length=16, choices=VisitKind.choices, default=VisitKind.ROUTINE)
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, null=True, related_name="+")
    building = models.ForeignKey(
        "registry.Building", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.CharField(_("room"), max_length=32, blank=True)
    organisation_id = models.UUIDField(null=True, blank=True)
    person_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    location = models.PointField(srid=4326, null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=VisitOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    photos = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    task = models.ForeignKey("Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="visits")
    event_ids = ArrayField(models.UUIDField(), default=list, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["grid", "started_at"], name="visit_grid_started"),
            GinIndex(fields=["person_ids"], name="visit_people"),
        ]


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
