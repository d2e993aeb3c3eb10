"""Filters of operations lists: patrols by worker, grid, dates and flags; visits and tasks by grid and status."""

from typing import Any

import django_filters
from django.db.models import QuerySet

from .models import (
    CheckIn,
    Patrol,
    PatrolPoint,
    PointSchedule,
    Task,
    TaskSource,
    TaskStatus,
    Visit,
    VisitKind,
)


class PatrolFilter(django_filters.FilterSet):
    worker = django_filters.UUIDFilter(field_name="worker_id")
    grid = django_filters.CharFilter(method="filter_grid", help_text="Grid code.")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    flagged = django_filters.BooleanFilter(method="filter_flagged")

    class Meta:
        model = Patrol
        fields: list[str] = []

    def filter_grid(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        through = Patrol.grids.through.objects.filter(territorynode__code=value).values("patrol_id")
        return queryset.filter(pk__in=through)

    def filter_flagged(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.exclude(flags=[]) if value else queryset.filter(flags=[])


class PatrolPointFilter(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    schedule = django_filters.ChoiceFilter(choices=PointSchedule.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = PatrolPoint
        fields: list[str] = []


class CheckInFilter(django_filters.FilterSet):
    point = django_filters.UUIDFilter(field_name="point_id")
    patrol = django_filters.UUIDFilter(field_name="patrol_id")
    counted = django_filters.BooleanFilter()

    class Meta:
        model = CheckIn
        fields: list[str] = []


class VisitFilter(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    worker = django_filters.UUIDFilter(field_name="worker_id")
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices)
    person = django_filters.UUIDFilter(method="filter_person")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")

    class Meta:
        model = Visit
        fields: list[str] = []

    def filter_person(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(person_ids__contains=[value])


class TaskFilter(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    source = django_filters.ChoiceFilter(choices=TaskSource.choices)
    overdue = django_filters.BooleanFilter()
    due_before = django_filters.DateFilter(field_name="due", lookup_expr="lte")

    class Meta:
        model = Task
        fields: list[str] = []
