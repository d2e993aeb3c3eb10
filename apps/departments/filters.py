"""Filters for department lists."""

import django_filters

from .models import Department, DepartmentLevel


class DepartmentFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=DepartmentLevel.choices)
    jurisdiction = django_filters.CharFilter(
        field_name="jurisdiction__code", help_text="Territory node code."
    )
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Parent department code.")

    class Meta:
        model = Department
        fields = ["level", "jurisdiction", "parent"]
