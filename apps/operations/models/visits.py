"""Visits (入户走访): who went where, whom they met, why, and what came of it."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel


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
