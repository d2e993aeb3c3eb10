"""Storing attachments (idempotent by content) and linking them to records."""

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .models import Attachment, AttachmentReference

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {"image/jpeg", "image/png", "image/webp"}


def sniff(content: bytes) -> str | None:
    """The image type the bytes actually are (JPEG, PNG or WebP), or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_store(
    *, sha256: str, content: bytes, declared_type: str, uploader: Any
) -> tuple[Attachment, bool]:
    """Store ``content`` under its hash; the same bytes twice are stored once. Returns (attachment, created)."""
    if len(content) > MAX_BYTES:
        from apps.core.errors import PayloadTooLarge

        raise PayloadTooLarge(_("An attachment may be at most 10 MB."))
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ValidationError({"sha256": [_("The bytes do not hash to the SHA-256 in the URL.")]})
    actual = sniff(content)
    if actual is None:
        raise ValidationError({"content": [_("Only JPEG, PNG and WebP images are accepted.")]})
    if declared_type not in ALLOWED or declared_type != actual:
        raise ValidationError({"Content-Type": [_("The bytes are %(actual)s.") % {"actual": actual}]})
    existing = Attachment.objects.filter(pk=sha256).first()
    if existing is not None:
        return existing, False
    name = f"attachments/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    try:
        with transaction.atomic():
            return Attachment.objects.create(
                sha256=sha256, content_type=actual, size=len(content), storage_name=name, uploaded_by=uploader
            ), True
    except IntegrityError:  # the same bytes uploaded concurrently
        return Attachment.objects.get(pk=sha256), False


def attachments_link(*, hashes: Iterable[str], record_type: str, record_id: uuid.UUID, grid_id: Any) -> None:
    """Record that a record references these attachments (unknown hashes are linked too: the photo may
    arrive after the record, as devices upload when they can)."""
    rows = [
        AttachmentReference(
            attachment_sha256=h, record_type=record_type, record_id=record_id, grid_id=grid_id
        )
        for h in sorted(set(hashes))
    ]
    AttachmentReference.objects.bulk_create(rows, ignore_conflicts=True)
