"""Who may read an attachment: its uploader, and whoever may see a record that references it.

Records live in apps above this one, so each of those apps registers how to tell whether a caller may see one
of its records referencing a photo (``attachment_readers_register``, from its ``AppConfig.ready``): what a
caller may see is decided by the record's visibility now — where the record lies today, the events assigned
to a department — not by where it lay when the photo was linked.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

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


def attachments_not_referable(*, user: Any, hashes: Iterable[str]) -> list[str]:
    """The hashes among ``hashes`` that ``user`` may not name in a record: stored attachments the user neither
    uploaded nor may read now. Naming a photo in a record makes it readable by whoever sees the record, so
    naming one is reading it first. A hash not stored yet may be named (devices upload when they can)."""
    wanted = sorted(set(hashes))
    if not wanted or role_of(user) == "admin":
        return []
    stored = Attachment.objects.filter(pk__in=wanted).exclude(uploaded_by_id=getattr(user, "pk", None))
    return [sha for sha in stored.values_list("pk", flat=True) if not any(r(user, sha) for r in _readers)]


def check_referable(*, user: Any, hashes: Iterable[str], field: str = "photos") -> None:
    """A field error naming the photos ``user`` may not reference (the same for any photo one may not read)."""
    refused = attachments_not_referable(user=user, hashes=hashes)
    if refused:
        raise ValidationError(
            {field: [_("No such photo among those you may see: %(hashes)s") % {"hashes": ", ".join(refused)}]}
        )
