"""Filters for the access log."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.journal.models import AccessChannel, AccessLogEntry


@extend_schema_field(OpenApiTypes.UUID)
class _RecordFilter(django_filters.UUIDFilter):
    """A record id, matched against the records each read listed."""


class AccessLogFilter(django_filters.FilterSet):
    record_id = _RecordFilter(method="filter_record", label="Reads that included this record")
    record_type = django_filters.CharFilter()
    department = django_filters.UUIDFilter(field_name="department_id")
    subscription = django_filters.UUIDFilter(field_name="subscription_id")
    user = django_filters.UUIDFilter(field_name="user_id")
    channel = django_filters.ChoiceFilter(choices=AccessChannel.choices)
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")

    def filter_record(
        self, queryset: QuerySet[AccessLogEntry], name: str, value: Any
    ) -> QuerySet[AccessLogEntry]:
        return queryset.filter(record_ids__contains=[value]) if value else queryset

    class Meta:
        model = AccessLogEntry
        fields: list[str] = []
