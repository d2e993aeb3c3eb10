from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from apps.attachments.selectors import attachment_readers_register
        from apps.events.selectors import event_photo_visible
        from apps.events.services.common import events_follow_territory
        from apps.territory.services import territory_path_followers_register

        attachment_readers_register(event_photo_visible)
        territory_path_followers_register(events_follow_territory)
