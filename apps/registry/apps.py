from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from apps.attachments.selectors import attachment_readers_register
        from apps.registry.selectors import building_photo_visible

        attachment_readers_register(building_photo_visible)
