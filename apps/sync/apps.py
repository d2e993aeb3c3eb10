from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "apps.sync"
    label = "sync"
    verbose_name = _("Mobile sync")
