"""Filters for event lists: status, overdue, category/family, department, since, mine / to verify, map box."""

from typing import Any

import django_filters
from django.db.models import QuerySet

from apps.registry.filters import GeoFilterMixin

from .models import Priority, Status


class EventFilter(GeoFilterMixin):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    overdue = django_filters.BooleanFilter()
    category = django_filters.CharFilter(field_name="category_id")
    family = django_filters.CharFilter(field_name="category__family_id")
    department = django_filters.CharFilter(field_name="department__code", help_text="Department code.")
    level = django_filters.CharFilter()
    priority = django_filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)
    since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Changed at or after (ISO 8601)."
    )
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="Only events I reported.")
    to_verify = django_filters.BooleanFilter(
        method="filter_to_verify", help_text="Only my reports awaiting my verification."
    )

    def filter_mine(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(reporter_id=self.request.user.pk) if value else queryset

    def filter_to_verify(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(reporter_id=self.request.user.pk, status=Status.HANDLED) if value else queryset
