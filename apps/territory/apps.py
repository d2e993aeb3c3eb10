from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "apps.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from . import selectors
        from .models import GridAssignment, TerritoryNode

        # Boundaries are not secret: workers need the neighbouring grids on their maps, and the point
        # location answers for any point. What a node holds (records, events) is scoped by its own gate.
        visibility_register(TerritoryNode, public=True)
        visibility_register(GridAssignment, scope=selectors.assignments_visible_to)
