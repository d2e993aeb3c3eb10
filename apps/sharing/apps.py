from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "apps.sharing"
    label = "sharing"
    verbose_name = _("Sharing with departments")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from . import selectors
        from .models import CatalogueField, Subscription, WebhookDelivery, WebhookEndpoint

        visibility_register(CatalogueField, public=True)
        visibility_register(Subscription, scope=selectors.subscriptions_for)
        visibility_register(WebhookEndpoint, scope=selectors.endpoints_for)
        visibility_register(WebhookDelivery, scope=selectors.deliveries_for)
