"""Who may read an attachment: its uploader, and whoever may see a record that references it."""

from typing import Any

from apps.core.permissions import role_of
from apps.territory.models import Level, TerritoryNode
from apps.territory.selectors import node_scope_q

from .models import Attachment, AttachmentReference


def attachment_for(*, user: Any, sha256: str) -> Attachment | None:
    attachment = Attachment.objects.filter(pk=sha256).first()
    if attachment is None:
        return None
    if role_of(user) == "admin" or attachment.uploaded_by_id == getattr(user, "pk", None):
        return attachment
    grids = TerritoryNode.objects.filter(node_scope_q(user), level=Level.GRID).values("pk")
    if AttachmentReference.objects.filter(attachment_sha256=sha256, grid_id__in=grids).exists():
        return attachment
    return None
