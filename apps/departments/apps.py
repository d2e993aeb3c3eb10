from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "apps.departments"
    label = "departments"
    verbose_name = _("Departments")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from . import selectors
        from .models import Department, DepartmentMembership

        visibility_register(Department, scope=selectors.departments_visible_to)
        visibility_register(DepartmentMembership, scope=selectors.memberships_visible_to)
