from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from apps.attachments.selectors import attachment_readers_register
        from apps.core.visibility import visibility_register
        from apps.events import selectors
        from apps.events.changes import register_change_sources
        from apps.events.models import (
            CalendarOverride,
            Event,
            EventCategory,
            EventFamily,
            EventNotice,
            EventReport,
            RoutingRule,
            TimelineEntry,
        )  # fmt: skip
        from apps.events.selectors import event_photo_visible
        from apps.events.services.common import events_follow_territory
        from apps.territory.services import territory_path_followers_register

        attachment_readers_register(event_photo_visible)
        visibility_register(Event, scope=selectors.events_for, resolve=selectors.report_resolver)
        visibility_register(EventNotice, scope=selectors.notices_for)
        visibility_register(EventCategory, public=True)
        visibility_register(EventFamily, public=True)
        visibility_register(RoutingRule, public=True)
        visibility_register(CalendarOverride, public=True)
        visibility_register(EventReport, scope=selectors.reports_for)
        visibility_register(TimelineEntry, scope=selectors.timeline_for)
        territory_path_followers_register(events_follow_territory)
        register_change_sources()
