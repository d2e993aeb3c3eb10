"""State of the mobile sync protocol: applied mutations (the idempotency key), replayable responses,
and conflicts a supervisor resolves."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class AppliedMutation(models.Model):
    """The first result of a mutation, returned unchanged whenever the same user sends the same mutation again.

    The key is (user, mutation id): another user sending a mutation id someone used (a captured one, say) gets
    its own processing, never this result. ``body_hash`` detects a mutation id reused for a different mutation.
    Kept at least 30 days.
    """

    id = models.BigAutoField(primary_key=True)
    mutation_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(max_length=128)
    body_hash = models.CharField(max_length=64)
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "mutation_id"], name="applied_mutation_key")]
        verbose_name = _("applied mutation")
        verbose_name_plural = _("applied mutations")

    def __str__(self) -> str:
        return f"{self.mutation_id} {self.result.get('status')}"


class ReplayableResponse(models.Model):
    """A whole push response stored under the request's ``Idempotency-Key`` (per user), replayed byte for byte."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="replayable_response_key")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class ConflictItem(BaseModel):
    """A field a device changed that the server had also changed since the device's base version.

    The server value was kept; a supervisor decides whether the device's value should replace it.
    """

    record_type = models.CharField(max_length=16)
    record_id = models.UUIDField(db_index=True)
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, null=True, related_name="+")
    field = models.CharField(max_length=64)
    device_value = models.JSONField(null=True)
    server_value = models.JSONField(null=True)
    base_version = models.PositiveIntegerField()
    server_version = models.PositiveIntegerField()
    mutation_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    resolution = models.CharField(max_length=16, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        indexes = [models.Index(fields=["status", "created_at"], name="conflict_queue")]
