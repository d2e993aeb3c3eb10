"""Indicator facts and rollups (考核指标): what the assessment tables are summed from.

An event's history (its timeline) is turned into *facts*: one row per thing that counts — a dispatch, a
signing, a deadline passed, a closure, a rating — with the local day (Asia/Shanghai) it happened, its
dimensions (department that held the event, grid, category, channel, reporter) and a weight. A count over a
period is the sum of the weights of the facts whose days lie in it. Counts of *distinct* events over "A or B
in the period" are kept additive by inclusion–exclusion: a fact for A (+1), one for B (+1) and one spanning
both days (−1), which falls in a period only when both days do (``day_min`` ≥ start and ``day_max`` ≤ end).
"Suspended at the period's end" facts also carry the suspension's days (``open_from``/``open_until``).

``EventFact`` keeps each event's current facts so that a change can take them back; the rollups hold the
sums per dimension and are what the API reads.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The counts every fact and rollup row carries, in this order (see apps.stats.indicators for their meaning).
COUNTS: tuple[str, ...] = (
    "dispatched", "sign_due", "signed_on_time", "due", "closed", "closed_on_time", "suspended_due", "rework",
    "returned", "extended", "overdue", "rated", "satisfied", "reported", "reported_valid",
    "patrol_s", "checkins", "visits", "tasks_due", "tasks_done",
)  # fmt: skip


class Counts(models.Model):
    """The counts every fact and rollup row carries (see ``COUNTS``)."""

    dispatched = models.IntegerField(default=0)
    sign_due = models.IntegerField(default=0)
    signed_on_time = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    suspended_due = models.IntegerField(default=0)
    rework = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reported = models.IntegerField(default=0)
    reported_valid = models.IntegerField(default=0)
    # The grid workers' own work (see ``apps.stats.work``).
    patrol_s = models.BigIntegerField(default=0, help_text="Effective patrol time, seconds.")
    checkins = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    tasks_due = models.IntegerField(default=0)
    tasks_done = models.IntegerField(default=0)

    class Meta:
        abstract = True


class FactDays(Counts):
    """The days a fact spans and, for facts about a suspension, the days the suspension ran."""

    day_min = models.DateField()
    day_max = models.DateField()
    open_from = models.DateField(null=True, blank=True)
    open_until = models.DateField(
        null=True, blank=True, help_text="Resumed on this day; null: still suspended."
    )

    class Meta:
        abstract = True


class EventFact(FactDays):
    """One fact of one event (see the module docstring), replaced whenever the event changes."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField()
    department_id = models.UUIDField(null=True, blank=True)
    grid_id = models.UUIDField(null=True, blank=True)
    category_id = models.CharField(max_length=48)
    channel = models.CharField(max_length=32)
    reporter_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("indicator fact")
        verbose_name_plural = _("indicator facts")
        indexes = [models.Index(fields=["event_id"], name="stats_fact_event")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.day_min}–{self.day_max}"


class GridRollup(FactDays):
    """Sums of facts per department × grid × category × channel × reporter × days (the fine rollup)."""

    id = models.BigAutoField(primary_key=True)
    department_id = models.UUIDField(null=True, blank=True)
    grid_id = models.UUIDField(null=True, blank=True)
    category_id = models.CharField(max_length=48)
    channel = models.CharField(max_length=32)
    reporter_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("indicator rollup by grid")
        verbose_name_plural = _("indicator rollups by grid")
        constraints = [
            models.UniqueConstraint(
                fields=["department_id", "grid_id", "category_id", "channel", "reporter_id", "day_min",
                        "day_max", "open_from", "open_until"],
                name="stats_grid_rollup_key", nulls_distinct=False,
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["day_min"], name="stats_grid_rollup_day")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.grid_id} {self.category_id} {self.day_min}–{self.day_max}"


class DepartmentRollup(FactDays):
    """Sums of facts per department × days: the coarse rollup the city-wide and per-department tables read."""

    id = models.BigAutoField(primary_key=True)
    department_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("indicator rollup by department")
        verbose_name_plural = _("indicator rollups by department")
        constraints = [
            models.UniqueConstraint(
                fields=["department_id", "day_min", "day_max", "open_from", "open_until"],
                name="stats_department_rollup_key", nulls_distinct=False,
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["department_id", "day_min"], name="stats_dept_rollup_day")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.day_min}–{self.day_max}"


# The calendar periods kept summed (Asia/Shanghai days; weeks from Monday, as PostgreSQL's date_trunc).
PERIOD_ROLLUP_KINDS = ("week", "month", "quarter", "year")


class PeriodCounts(Counts):
    """Sums of the facts that count in one calendar period: their days lie in it and, for the facts of a
    suspension, the suspension is open at the period's end — exactly what a table of that period adds up."""

    kind = models.CharField(max_length=8, choices=[(kind, kind) for kind in PERIOD_ROLLUP_KINDS])
    start = models.DateField(help_text="The period's first day.")

    class Meta:
        abstract = True


class DepartmentPeriodRollup(PeriodCounts):
    """Sums per department × calendar period: a city's monthly table is a read of departments × months rows."""

    id = models.BigAutoField(primary_key=True)
    department_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("indicator rollup by department and period")
        verbose_name_plural = _("indicator rollups by department and period")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "department_id"],
                                    name="stats_dept_period_rollup_key", nulls_distinct=False),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.department_id} {self.kind} {self.start}"


class CategoryPeriodRollup(PeriodCounts):
    """Sums per department × category × channel × calendar period: tables by category or channel, city-wide or of
    a department."""

    id = models.BigAutoField(primary_key=True)
    department_id = models.UUIDField(null=True, blank=True)
    category_id = models.CharField(max_length=48)
    channel = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("indicator rollup by category and period")
        verbose_name_plural = _("indicator rollups by category and period")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "department_id", "category_id", "channel"],
                                    name="stats_category_period_rollup_key", nulls_distinct=False),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.department_id} {self.category_id} {self.channel} {self.kind} {self.start}"


class GridPeriodRollup(PeriodCounts):
    """Sums per department × grid × calendar period: node drill-downs and territories read it."""

    id = models.BigAutoField(primary_key=True)
    department_id = models.UUIDField(null=True, blank=True)
    grid_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("indicator rollup by grid and period")
        verbose_name_plural = _("indicator rollups by grid and period")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "department_id", "grid_id"],
                                    name="stats_grid_period_rollup_key", nulls_distinct=False),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.department_id} {self.grid_id} {self.kind} {self.start}"


class RollupCursor(models.Model):
    """Where the rollups stand in the journal: every event change at or before (txid, id) is in them."""

    name = models.CharField(max_length=32, primary_key=True)
    txid = models.BigIntegerField(default=0)
    entry_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollup cursor")
        verbose_name_plural = _("rollup cursors")

    def __str__(self) -> str:
        return f"{self.name} at {self.txid}/{self.entry_id}"
