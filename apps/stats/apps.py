from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "apps.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from django.conf import settings

        # The rollups follow the journal every few seconds; a missed run only delays them (the cursor never
        # skips). Kept here so that the app brings its schedule along; settings may override it.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "stats-advance-rollups",
            {"task": "apps.stats.tasks.advance_rollups",
             "schedule": float(getattr(settings, "GRIDAPI_STATS_ROLLUP_SECONDS", 5.0))},
        )  # fmt: skip
        from apps.core.visibility import visibility_register
        from apps.stats import selectors
        from apps.stats.facts import channel_expression_register

        # An event's channel is its source (grid worker, dispatcher, Open311, 12345 hotline, sensor).
        channel_expression_register("e.source")
        from apps.stats.models import (
            CategoryPeriodRollup,
            DepartmentPeriodRollup,
            DepartmentRollup,
            EventFact,
            GridPeriodRollup,
            GridRollup,
        )

        visibility_register(GridRollup, scope=selectors.grid_rollups_for)
        visibility_register(DepartmentRollup, scope=selectors.department_rollups_for)
        visibility_register(EventFact, scope=selectors.event_facts_for)
        visibility_register(DepartmentPeriodRollup, scope=selectors.department_period_rollups_for)
        visibility_register(GridPeriodRollup, scope=selectors.grid_period_rollups_for)
        visibility_register(CategoryPeriodRollup, scope=selectors.category_period_rollups_for)
