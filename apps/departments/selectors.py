"""Reads for departments, restricted to what the caller may see."""

from typing import Any

from django.db.models import QuerySet

from apps.core.permissions import role_of

from .models import Department


def departments_directory() -> QuerySet[Department]:
    """The directory of active departments: visible to every authenticated caller."""
    return Department.objects.filter(is_active=True).select_related("jurisdiction", "parent")


def departments_managed_by(caller: Any) -> QuerySet[Department]:
    """Departments whose staff and keys the caller may see.

    admin: all; dispatcher: those whose jurisdiction lies in their territory; department staff: their own;
    a department system (API key): its own department only.
    """
    role = role_of(caller)
    queryset = Department.objects.all()
    if role == "admin":
        return queryset
    if role == "dispatcher" and getattr(caller, "territory_id", None):
        return queryset.filter(jurisdiction__path__startswith=caller.territory.path)
    if role == "department_staff":
        return queryset.filter(memberships__user=caller)
    if role == "department_system":
        return queryset.filter(pk=caller.department_id)
    return queryset.none()
