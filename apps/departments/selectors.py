"""Reads for departments, restricted to what the caller may see."""

from django.db.models import Q, QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal

from .models import Department, DepartmentMembership


def departments_directory() -> QuerySet[Department]:
    """The directory of active departments: visible to every authenticated caller."""
    return Department.objects.filter(is_active=True).select_related("jurisdiction", "parent")


def departments_managed_by(caller: Principal) -> QuerySet[Department]:
    """Departments whose staff and keys the caller may see.

    admin: all; dispatcher: those whose jurisdiction lies in their territory; department staff: their own;
    a department system (API key): its own department only.
    """
    role = role_of(caller)
    queryset = Department.objects.all()
    if role == "admin":
        return queryset
    territory = getattr(caller, "territory", None)
    if role == "dispatcher" and territory is not None:
        return queryset.filter(jurisdiction__path__startswith=territory.path)
    if role == "department_staff":
        return queryset.filter(memberships__user_id=caller.pk)
    if role == "department_system":
        department_id = getattr(caller, "department_id", None)
        return queryset.filter(pk=department_id) if department_id else queryset.none()
    return queryset.none()


def departments_visible_to(caller: Principal) -> QuerySet[Department]:
    """What the gate shows: the directory (active departments) and every department the caller manages."""
    if not getattr(caller, "is_authenticated", False):
        return Department.objects.none()
    return Department.objects.filter(
        Q(is_active=True) | Q(pk__in=departments_managed_by(caller).values("pk"))
    )


def memberships_visible_to(caller: Principal) -> QuerySet[DepartmentMembership]:
    """The staff lists of the departments the caller manages."""
    return DepartmentMembership.objects.filter(department__in=departments_managed_by(caller).values("pk"))
