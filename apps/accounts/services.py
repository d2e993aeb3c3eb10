"""Writes for accounts: users, device tokens and department API keys."""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from .authentication import API_KEY_PREFIX, DEVICE_TOKEN_PREFIX
from .models import ApiKey, DeviceToken, Role, User, hash_secret


@dataclass(frozen=True)
class IssuedSecret:
    """A stored credential and its secret, which exists only in this object and is shown once."""

    record: Any
    secret: str


def user_create(
    *,
    username: str,
    role: str,
    password: str,
    full_name: str = "",
    territory: Any = None,
    is_superuser: bool = False,
) -> User:
    """Create a user with a role. Administrators also get Django admin access."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("A user with this username exists.")]})
    user = User(username=username, role=role, full_name=full_name, territory=territory)
    user.is_staff = role in {Role.ADMIN, Role.DISPATCHER} or is_superuser
    user.is_superuser = role == Role.ADMIN or is_superuser
    user.set_password(password)
    user.save()
    return user


def device_token_issue(
    *, username: str, password: str, device_id: str, device_name: str = ""
) -> IssuedSecret:
    """Sign a user in on a device: check the password and issue a fresh token for that device.

    Earlier tokens of the same user and device are revoked, so a re-installed app leaves nothing behind.
    """
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("Invalid username or password."))
    secret = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        DeviceToken.objects.filter(user=user, device_id=device_id, revoked_at__isnull=True).update(
            revoked_at=now
        )
        token = DeviceToken.objects.create(
            user=user,
            device_id=device_id,
            device_name=device_name,
            prefix=secret[:12],
            key_hash=hash_secret(secret),
            expires_at=now + dt.timedelta(days=settings.GRIDAPI_TOKEN_TTL_DAYS),
            last_seen_at=now,
        )
    return IssuedSecret(record=token, secret=secret)


def device_token_revoke(*, token: DeviceToken) -> None:
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def device_tokens_prune(*, older_than_days: int = 90) -> int:
    """Delete tokens expired or revoked more than ``older_than_days`` ago; returns how many."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    expired = DeviceToken.objects.filter(expires_at__lt=cutoff)
    revoked = DeviceToken.objects.filter(revoked_at__lt=cutoff)
    deleted, _ = (expired | revoked).delete()
    return deleted


def api_key_create(
    *, department: Any, name: str, actor: Any = None, expires_at: dt.datetime | None = None
) -> IssuedSecret:
    """Create an API key for a department system. The secret is returned once and never stored."""
    if not name.strip():
        raise ValidationError({"name": [_("A name is required.")]})
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        department=department,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_by=actor if isinstance(actor, User) else None,
        expires_at=expires_at,
    )
    return IssuedSecret(record=key, secret=secret)


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
