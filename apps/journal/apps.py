from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalConfig(AppConfig):
    name = "apps.journal"
    label = "journal"
    verbose_name = _("Journal")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from .models import AccessLogEntry
        from .selectors import access_log_for

        visibility_register(AccessLogEntry, scope=access_log_for)
