from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "apps.operations"
    label = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register
        from apps.operations import selectors
        from apps.operations.changes import register_change_sources
        from apps.operations.models import CheckIn, Patrol, PatrolPoint, ScheduleRule, Task, TaskNotice, Visit
        from apps.operations.services import alerts_follow_up
        from apps.operations.subjects import register_registry_subjects
        from apps.registry.organisations.alerts import alert_followers_register

        register_registry_subjects()
        alert_followers_register(alerts_follow_up)
        register_change_sources()
        visibility_register(Patrol, scope=selectors.patrols_for)
        visibility_register(PatrolPoint, scope=selectors.patrol_points_for)
        visibility_register(CheckIn, scope=selectors.checkins_for)
        visibility_register(Visit, scope=selectors.visits_for)
        visibility_register(Task, scope=selectors.tasks_for)
        visibility_register(TaskNotice, scope=selectors.task_notices_for)
        visibility_register(ScheduleRule, scope=selectors.schedule_rules_for)
