"""The territory tree (city → district → subdistrict → community → grid) and who serves which grid."""

import re

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PATH_SEPARATOR = "/"


class Level(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")
    GRID = "grid", _("grid")


LEVEL_ORDER: list[str] = [level.value for level in Level]


def parent_level(level: str) -> str | None:
    """The level directly above ``level`` (None for a city)."""
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


class TerritoryNode(BaseModel):
    """One node of the territory tree with its boundary.

    ``path`` lists the codes from the root to this node (``350200/350205/HC-XY/``), so ancestors are a
    lookup by codes and descendants a prefix match, each one indexed query.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, editable=False)
    boundary = models.MultiPolygonField(_("boundary"), srid=4326)  # GiST-indexed (spatial_index default)

    class Meta:
        verbose_name = _("territory node")
        verbose_name_plural = _("territory nodes")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="territory_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(level="city"), name="territory_city_is_root"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent."""
        return [code for code in self.path.split(PATH_SEPARATOR) if code][:-1]


class DateRange(Func):
    function = "DATERANGE"
    output_field = models.DateField()


class GridAssignment(BaseModel):
    """A grid worker serving a grid from ``valid_from`` to ``valid_to`` (inclusive; open when null).

    A grid may have several workers (一格多员) and a worker several grids; the same worker cannot hold
    two overlapping assignments to the same grid.
    """

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="grid_assignments",
        verbose_name=_("worker"),
    )
    grid = models.ForeignKey(
        TerritoryNode,
        on_delete=models.PROTECT,
        related_name="assignments",
        limit_choices_to={"level": Level.GRID},
        verbose_name=_("grid"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        indexes = [models.Index(fields=["worker", "valid_from", "valid_to"], name="assignment_worker_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_dates_ordered",
            ),
            ExclusionConstraint(
                name="assignment_no_overlap",
                expressions=[
                    ("worker", RangeOperators.EQUAL),
                    ("grid", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} → {self.grid_id} [{self.valid_from}, {self.valid_to or '∞'}]"
