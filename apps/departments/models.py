"""Departments (公安、民政、司法、城管、住建、应急、消防…) and the staff who work in them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")


class Department(BaseModel):
    """A department that handles events within its jurisdiction and may subscribe to shared data.

    ``level`` equals the level of ``jurisdiction`` (a district fire brigade's jurisdiction is a district).
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=DepartmentLevel.choices)
    jurisdiction = models.ForeignKey(
        "territory.TerritoryNode",
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("jurisdiction"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DepartmentMembership(BaseModel):
    """A member of staff of a department."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["department", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.department_id}"
