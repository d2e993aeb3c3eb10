from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "apps.sync"
    label = "sync"
    verbose_name = _("Mobile sync")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from .models import ConflictItem
        from .selectors import conflicts_for
        from .services.handlers import register_mutation_handlers

        visibility_register(ConflictItem, scope=conflicts_for)
        register_mutation_handlers()
