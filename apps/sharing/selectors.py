"""Reads of sharing: subscriptions and the access log, restricted to who may see them."""

from typing import Any

from django.db.models import QuerySet

from apps.core.permissions import role_of
from apps.journal.models import AccessLogEntry

from .models import Subscription


def subscriptions_for(caller: Any) -> QuerySet[Subscription]:
    """Administrators: every subscription; a department system: its own; anyone else: none."""
    queryset = Subscription.objects.select_related("department").prefetch_related("nodes")
    role = role_of(caller)
    if role == "admin":
        return queryset
    if role == "department_system":
        return queryset.filter(department_id=caller.department_id)
    return queryset.none()


def access_log_for(caller: Any) -> QuerySet[AccessLogEntry]:
    """The access log is for administrators only."""
    if role_of(caller) != "admin":
        return AccessLogEntry.objects.none()
    return AccessLogEntry.objects.all()
