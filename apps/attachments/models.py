"""Content-addressed files (photos): stored once per SHA-256, referenced by records by that hash."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """One stored file, named by the SHA-256 of its bytes; its type was read from the bytes, not a header."""

    sha256 = models.CharField(primary_key=True, max_length=64)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    storage_name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.sha256


class AttachmentReference(models.Model):
    """A record that references an attachment (whoever may see the record may read it), and the record's grid
    when it was linked."""

    attachment_sha256 = models.CharField(max_length=64, db_index=True)
    record_type = models.CharField(max_length=16)
    record_id = models.UUIDField()
    grid_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attachment_sha256", "record_type", "record_id"], name="attachment_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attachment_sha256[:12]} ← {self.record_type} {self.record_id}"
