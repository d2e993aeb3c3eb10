"""Filters for the access log."""

import django_filters

from apps.journal.models import AccessChannel, AccessLogEntry


class AccessLogFilter(django_filters.FilterSet):
    record_id = django_filters.UUIDFilter()
    record_type = django_filters.CharFilter()
    department = django_filters.UUIDFilter(field_name="department_id")
    subscription = django_filters.UUIDFilter(field_name="subscription_id")
    user = django_filters.UUIDFilter(field_name="user_id")
    channel = django_filters.ChoiceFilter(choices=AccessChannel.choices)
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = AccessLogEntry
        fields: list[str] = []
