"""Organisations (实有单位), who works there (Employment), and watch rules with their alerts (人来预警/人走提醒).

An organisation is a canonical record like a building or a person: merged ones stay as tombstones with
aliases, observations keep every collection. ``code_key`` holds the credit code only when it passed its
checks: it is the key that decides alone (one canonical organisation each); a code kept as printed although
it fails (``code_unverified``) decides nothing.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel
from apps.registry.models import Building, CanonicalRecord, Person, Residence

__all__ = [
    "Alert", "AlertKind", "AlertStatus", "Employment", "Organisation", "OrganisationKind", "OrganisationStatus",
    "OrganisationTag", "WatchRule", "WatchRuleAudit",
]  # fmt: skip


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    INDIVIDUAL = "individual", _("individual business (个体工商户)")
    SOCIAL_ORG = "social_org", _("social organisation")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    GOVERNMENT = "government", _("government body")
    OTHER = "other", _("other")


class OrganisationStatus(models.TextChoices):
    OPERATING = "operating", _("operating")
    CLOSED = "closed", _("closed")
    MOVED = "moved", _("moved away")


class OrganisationTag(models.TextChoices):
    NINE_SMALL = "nine_small", _("nine small places (九小场所)")
    THREE_IN_ONE = "three_in_one", _("living, storage and business in one (三合一)")
    HAZMAT = "hazmat", _("hazardous chemicals (危化品)")
    CROWDED = "crowded", _("crowded place (人员密集)")


class Organisation(CanonicalRecord):
    """A real organisation (实有单位): a company, a shop, a workshop, a small hotel, an office.

    The legal representative's ID number and the phone are sealed, with keyed blind indexes for matching.
    """

    name = models.CharField(_("name"), max_length=200)
    name_norm = models.CharField(
        max_length=200, db_index=True, help_text="Name without legal forms and places."
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=32, blank=True)
    code_unverified = models.BooleanField(
        _("code unverified"), default=False, help_text=_("Kept as printed although its check fails.")
    )
    code_key = models.CharField(
        max_length=18, blank=True, help_text="The credit code when it passed its checks."
    )
    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="organisations"
    )
    room = models.CharField(_("room"), max_length=32, blank=True)
    floor = models.CharField(_("floor"), max_length=16, blank=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=100, blank=True)
    legal_rep_id_number_sealed = models.TextField(blank=True)
    legal_rep_id_number_index = models.CharField(max_length=64, blank=True)
    phone_sealed = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    pii_key_id = models.CharField(max_length=32, blank=True, help_text="Key that sealed the numbers.")
    area_m2 = models.FloatField(_("floor area (m²)"), null=True, blank=True)
    staff = models.PositiveIntegerField(_("staff"), null=True, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    tags = ArrayField(
        models.CharField(max_length=32, choices=OrganisationTag.choices), default=list, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrganisationStatus.choices, default=OrganisationStatus.OPERATING
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["code_key"], name="organisation_code", condition=~Q(code_key="")),
            models.Index(fields=["phone_index"], name="organisation_phone", condition=~Q(phone_index="")),
            GinIndex(fields=["tags"], name="organisation_tags"),
        ]
        constraints = [
            # One canonical record per verified credit code.
            models.UniqueConstraint(
                fields=["code_key"],
                condition=~Q(code_key="") & Q(merged_into__isnull=True),
                name="organisation_one_canonical_per_code",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Employment(BaseModel):
    """A person working at an organisation from ``since`` until ``until`` (从业人员)."""

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="employments")
    role = models.CharField(_("role"), max_length=64, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        indexes = [
            models.Index(fields=["person", "until"], name="employment_person"),
            models.Index(fields=["organisation", "until"], name="employment_organisation"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=models.F("since")),
                name="employment_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.organisation_id}"


class AlertKind(models.TextChoices):
    ARRIVAL = "arrival", _("arrival (人来预警)")
    DEPARTURE = "departure", _("departure (人走提醒)")


class WatchRule(BaseModel):
    """Who must learn of whom: people with one of ``tags`` arriving in or leaving ``nodes``, told to
    ``department`` for ``purpose``. A grant of special-category data: administrators only, every change
    audited (``WatchRuleAudit``)."""

    name = models.CharField(_("name"), max_length=100)
    tags = ArrayField(models.CharField(max_length=32), verbose_name=_("person tags"))
    nodes = models.ManyToManyField("territory.TerritoryNode", related_name="+", verbose_name=_("territory"))
    kinds = ArrayField(models.CharField(max_length=16, choices=AlertKind.choices), verbose_name=_("kinds"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField(_("purpose"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("watch rule")
        verbose_name_plural = _("watch rules")
        constraints = [models.CheckConstraint(condition=~Q(purpose=""), name="watch_rule_purpose_required")]

    def __str__(self) -> str:
        return self.name


class WatchRuleAudit(models.Model):
    """One change of a watch rule: who, when, what it was and what it became."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(WatchRule, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=16)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("watch rule change")
        verbose_name_plural = _("watch rule changes")
        ordering = ["-id"]


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")


class Alert(BaseModel):
    """One arrival or departure of a watched person, for one rule: at most one per (rule, kind, residence).

    Also the outbox row of the department's notice: webhook fan-out marks ``fanned_out_at``.
    """

    rule = models.ForeignKey(WatchRule, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    residence = models.ForeignKey(Residence, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by_department = models.ForeignKey(
        "departments.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When webhook deliveries were made of it."
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["department", "created_at"], name="alert_department_created"),
            models.Index(fields=["grid", "created_at"], name="alert_grid_created"),
            models.Index(
                fields=["created_at"], name="alert_not_fanned_out", condition=Q(fanned_out_at__isnull=True)
            ),
        ]
        constraints = [
            # However often the same arrival or departure is replayed, one alert per rule.
            models.UniqueConstraint(fields=["rule", "kind", "residence"], name="alert_once_per_rule_and_move")
        ]
