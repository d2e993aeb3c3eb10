"""Patrols (巡查): the patrol with its derived track, its raw fixes, patrol points (巡更点) and check-ins.

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

    No foreign-key constraint on ``patrol``: PostgreSQL checks one with a look-up of the patrol row per inserted
    fix (480 per chunk, a sixth of the database's work on a chunk). Fixes are written only by
    ``fixes_insert``, under the patrol's row lock taken in the same transaction, so the patrol exists and
    cannot go while they are written; deleting a patrol through gridapi deletes its fixes (``CASCADE``).
    """

    pk = models.CompositePrimaryKey("patrol_id", "seq")
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="fixes", db_index=False, db_constraint=False
    )
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
