"""People who use gridapi, the devices they sign in from, and the keys of department systems."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel


class Role(models.TextChoices):
    ADMIN = "admin", _("administrator")
    DISPATCHER = "dispatcher", _("dispatcher")
    GRID_WORKER = "grid_worker", _("grid worker")
    DEPARTMENT_STAFF = "department_staff", _("department staff")


class User(AbstractUser):
    """A person who signs in: grid worker (网格员), dispatcher (综治中心), department staff or administrator.

    ``territory`` is a dispatcher's (or administrator's) area of responsibility; grid workers get their
    grids through assignments, department staff their scope through their department.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.GRID_WORKER, db_index=True
    )
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    territory = models.ForeignKey(
        "territory.TerritoryNode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territory"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def roles(self) -> list[str]:
        return [Role.ADMIN.value] if self.is_superuser and self.role != Role.ADMIN else [self.role]


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret. Tokens carry 256 random bits, so a slow hash buys nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class DeviceToken(BaseModel):
    """A bearer token issued to one device of one user; stored hashed, expiring, revocable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_tokens")
    device_id = models.CharField(_("device id"), max_length=128)
    device_name = models.CharField(_("device name"), max_length=200, blank=True)
    prefix = models.CharField(
        max_length=12, help_text=_("The first characters of the token, for recognition.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")
        indexes = [models.Index(fields=["user", "device_id"], name="token_user_device")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.device_name or self.device_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiKey(BaseModel):
    """A key a department's system authenticates with; bound to one department, stored hashed.

    The key reads ``gdk_<prefix>_<secret>``; the prefix stays visible so staff can tell keys apart.
    """

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [models.CheckConstraint(condition=~Q(prefix=""), name="apikey_prefix_not_empty")]

    def __str__(self) -> str:
        return f"gdk_{self.prefix}… {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
