"""Pull: what a device receives — a consistent snapshot of its scope, then every change after it.

The journal's change engine (``apps.journal.changes``) does the reading; this module gives it the device's
scope (the grids of the user's territory, the cursor bound to the user) and writes the access log for what a
page reveals.
"""

from typing import Any

from django.db.models import QuerySet

from apps.core.principals import Principal
from apps.journal.changes import change_source, scoped_changes
from apps.journal.models import AccessChannel
from apps.journal.services import access_log_reads
from apps.territory.selectors import grids_visible_to

from .models import ConflictItem


def sync_pull(*, user: Principal, token: str | None, limit: int, types: list[str]) -> dict[str, Any]:
    """One page of the device's pull (see the sync protocol); what it reveals goes to the access log."""
    scope = {str(pk): code for pk, code in grids_visible_to(user).values_list("pk", "code")}
    page = scoped_changes(owner=str(user.pk), scope=scope, token=token, limit=limit, types=types)
    reads: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    revealers = {kind: change_source(kind).revealed for kind in types}
    for change in page["changes"]:
        revealed = revealers.get(change["type"])
        if revealed is not None and not change.get("deleted") and (fields := revealed(change)):
            reads.setdefault((change["type"], fields), []).append(change["id"])
    access_log_reads(channel=AccessChannel.PULL, user=user, reads=reads)
    return page


def conflicts_for(user: Principal) -> QuerySet[ConflictItem]:
    """Conflict items in the grids of the caller's territory (dispatchers and administrators)."""
    return ConflictItem.objects.filter(grid_id__in=grids_visible_to(user).values("pk"))
