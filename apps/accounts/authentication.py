"""``Authorization: Bearer <token>``: device tokens of users and API keys of department systems."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.core.bulk import bound_cursor
from apps.core.rows import Columns
from apps.departments.models import Department
from apps.territory.models import TerritoryNode

from .models import ApiKey, DeviceToken, User, hash_secret
from .principals import DepartmentClient

API_KEY_PREFIX = "gdk_"
DEVICE_TOKEN_PREFIX = "gdt_"  # noqa: S105 - a public prefix, not a secret


_TOKEN, _USER = Columns(DeviceToken, "t"), Columns(User, "u")
_TERRITORY = Columns(
    TerritoryNode, "n", defer={"boundary"}
)  # a dispatcher's territory is read for its path only
_KEY, _DEPARTMENT = Columns(ApiKey, "k"), Columns(Department, "d")


def _token_sql() -> str:
    return (
        f"SELECT {_TOKEN.sql}, {_USER.sql}, {_TERRITORY.sql} FROM accounts_devicetoken t "  # noqa: S608
        "JOIN accounts_user u ON u.id = t.user_id LEFT JOIN territory_territorynode n ON n.id = u.territory_id "
        "WHERE t.key_hash = %s"
    )


def _key_sql() -> str:
    return (
        f"SELECT {_KEY.sql}, {_DEPARTMENT.sql} FROM accounts_apikey k "  # noqa: S608
        "JOIN departments_department d ON d.id = k.department_id WHERE k.key_hash = %s"
    )


def device_token_by_hash(key_hash: str) -> DeviceToken | None:
    """The device token of ``key_hash`` with its user and the user's territory (boundary deferred), or None.

    Every request with a token reads it: written as SQL once (``apps.core.rows``), since compiling the
    equivalent ``select_related`` queryset took the ORM longer than PostgreSQL takes to answer it."""
    with bound_cursor() as cursor:
        cursor.execute(_token_sql(), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    token, end = _TOKEN.take(row)
    user, end = _USER.take(row, end)
    territory, _end = _TERRITORY.take_optional(row, end)
    user.territory = territory
    token.user = user
    return token


def api_key_by_hash(key_hash: str) -> ApiKey | None:
    """The API key of ``key_hash`` with its department, or None (as ``device_token_by_hash``)."""
    with bound_cursor() as cursor:
        cursor.execute(_key_sql(), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    key, end = _KEY.take(row)
    department, _end = _DEPARTMENT.take(row, end)
    key.department = department
    return key


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
        token = device_token_by_hash(hash_secret(secret))
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
        key = api_key_by_hash(hash_secret(secret))
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
