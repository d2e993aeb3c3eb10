"""Writes for departments."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.territory.models import TerritoryNode

from .models import Department, DepartmentLevel, DepartmentMembership


@transaction.atomic
def department_upsert(
    *,
    code: str,
    name: str,
    jurisdiction: TerritoryNode,
    name_en: str = "",
    parent: Department | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Department:
    """Create or update the department ``code``; its level follows its jurisdiction."""
    if jurisdiction.level not in DepartmentLevel.values:
        raise ValidationError({"jurisdiction": [_("A department's jurisdiction cannot be a grid.")]})
    department, _created = Department.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_en": name_en,
            "level": jurisdiction.level,
            "jurisdiction": jurisdiction,
            "parent": parent,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "contact_email": contact_email,
        },
    )
    return department


def department_member_add(*, department: Department, user: Any, title: str = "") -> DepartmentMembership:
    """Make ``user`` a member of staff of ``department`` (idempotent)."""
    if getattr(user, "role", None) != "department_staff":
        raise ValidationError({"user": [_("Only department staff can be members of a department.")]})
    membership, _created = DepartmentMembership.objects.get_or_create(
        department=department, user=user, defaults={"title": title}
    )
    return membership
