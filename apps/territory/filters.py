"""Filters for territory lists."""

import django_filters

from .models import GridAssignment, Level, TerritoryNode


class TerritoryNodeFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Code of the parent node.")
    within = django_filters.CharFilter(
        method="filter_within", help_text="Code of a node: only that node and its descendants."
    )
    code = django_filters.CharFilter()

    class Meta:
        model = TerritoryNode
        fields = ["level", "parent", "within", "code"]

    def filter_within(self, queryset, name, value):
        node = TerritoryNode.objects.filter(code=value).only("path").first()
        return queryset.filter(path__startswith=node.path) if node else queryset.none()


class GridAssignmentFilter(django_filters.FilterSet):
    worker = django_filters.UUIDFilter(field_name="worker_id")
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    active_on = django_filters.DateFilter(
        method="filter_active_on", help_text="Only assignments valid on this day."
    )

    class Meta:
        model = GridAssignment
        fields = ["worker", "grid", "active_on"]

    def filter_active_on(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=value), valid_from__lte=value)
