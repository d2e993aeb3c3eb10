from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from apps.attachments.selectors import attachment_readers_register
        from apps.events.selectors import event_photo_visible

        attachment_readers_register(event_photo_visible)
