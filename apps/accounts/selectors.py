"""Reads for accounts."""

from typing import Any

from django.db.models import QuerySet

from apps.territory.models import TerritoryNode
from apps.territory.selectors import worker_grids


def user_grids(*, user: Any) -> QuerySet[TerritoryNode]:
    """The grids a signed-in user serves today (empty for roles other than grid worker)."""
    if getattr(user, "role", None) != "grid_worker":
        return TerritoryNode.objects.none()
    return worker_grids(worker=user).only("id", "code", "name").order_by("code")
