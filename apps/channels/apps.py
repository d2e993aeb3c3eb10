from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "apps.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register
        from apps.events.services.common import event_status_followers_register

        from . import selectors
        from .models import CategoryMapping, Channel, ChannelRequest, ServiceAttribute
        from .services.notices import channel_follow_status

        visibility_register(Channel, scope=selectors.channels_for)
        visibility_register(CategoryMapping, scope=selectors.mappings_for)
        visibility_register(ServiceAttribute, public=True)
        visibility_register(ChannelRequest, scope=selectors.requests_for)
        event_status_followers_register(channel_follow_status)
