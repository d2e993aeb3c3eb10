from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "apps.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register
        from apps.stats import selectors
        from apps.stats.models import DepartmentRollup, EventFact, GridRollup

        visibility_register(GridRollup, scope=selectors.grid_rollups_for)
        visibility_register(DepartmentRollup, scope=selectors.department_rollups_for)
        visibility_register(EventFact, scope=selectors.event_facts_for)
