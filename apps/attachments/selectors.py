"""Who may read an attachment: its uploader, and whoever may see a record that references it.

Records live in apps above this one, so each of those apps registers how to tell whether a caller may see one
of its records referencing a photo (``attachment_readers_register``, from its ``AppConfig.ready``): what a
caller may see is decided by the record's visibility now — where the record lies today, the events assigned
to a department — not by where it lay when the photo was linked.
"""

from collections.abc import Callable
from typing import Any

from apps.core.permissions import role_of

from .models import Attachment

# (caller, sha256) → whether the caller may see a record that references the attachment.
Reader = Callable[[Any, str], bool]
_readers: list[Reader] = []


def attachment_readers_register(reader: Reader) -> None:
    """Let ``reader`` grant access to attachments (called once per app, at start)."""
    if reader not in _readers:
        _readers.append(reader)


def attachment_for(*, user: Any, sha256: str) -> Attachment | None:
    attachment = Attachment.objects.filter(pk=sha256).first()
    if attachment is None:
        return None
    if role_of(user) == "admin" or attachment.uploaded_by_id == getattr(user, "pk", None):
        return attachment
    if any(reader(user, sha256) for reader in _readers):
        return attachment
    return None
