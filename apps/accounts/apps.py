from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from apps.core.visibility import visibility_register

        from . import selectors
        from .models import ApiKey, DeviceToken, User

        visibility_register(User, scope=selectors.users_visible_to)
        visibility_register(DeviceToken, scope=selectors.device_tokens_visible_to)
        visibility_register(ApiKey, scope=selectors.api_keys_visible_to)
