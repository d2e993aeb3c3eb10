"""``Authorization: Bearer <token>``: device tokens of users and API keys of department systems."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiKey, DeviceToken, hash_secret
from .principals import DepartmentClient

API_KEY_PREFIX = "gdk_"
DEVICE_TOKEN_PREFIX = "gdt_"  # noqa: S105 - a public prefix, not a secret


class BearerAuthentication(authentication.BaseAuthentication):
    """One indexed lookup by the secret's hash; last-seen is written at most every few minutes."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: expected 'Bearer <token>'.")
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if secret.startswith(API_KEY_PREFIX):
            return self._api_key(secret)
        return self._device_token(secret)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def _stale(last: dt.datetime | None, now: dt.datetime) -> bool:
        return last is None or (now - last).total_seconds() > settings.GRIDAPI_TOKEN_TOUCH_SECONDS

    def _device_token(self, secret: str) -> tuple[Any, DeviceToken]:
        token = (
            DeviceToken.objects.select_related("user", "user__territory")
            .defer("user__territory__boundary")  # a dispatcher's territory is read for its path only
            .filter(key_hash=hash_secret(secret))
            .first()
        )
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive."))
        if self._stale(token.last_seen_at, now):
            DeviceToken.objects.filter(pk=token.pk).update(last_seen_at=now)
            token.last_seen_at = now
        return token.user, token

    def _api_key(self, secret: str) -> tuple[DepartmentClient, ApiKey]:
        key = ApiKey.objects.select_related("department").filter(key_hash=hash_secret(secret)).first()
        now = timezone.now()
        if key is None or not key.is_active or not key.department.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        if self._stale(key.last_used_at, now):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return DepartmentClient(key), key


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Device token (gdt_…) or API key (gdk_…)."}
