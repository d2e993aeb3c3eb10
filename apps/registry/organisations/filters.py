"""Filters of organisation, employment and alert lists."""

import django_filters
from django.db.models import Q, QuerySet

from .matching import normalise_org_name
from .models import (
    Alert,
    AlertKind,
    AlertStatus,
    Employment,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    OrganisationTag,
)


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    tag = django_filters.MultipleChoiceFilter(
        choices=OrganisationTag.choices,
        method="filter_tag",
        help_text="Organisations with all of these tags.",
    )
    status = django_filters.ChoiceFilter(choices=OrganisationStatus.choices)
    building = django_filters.UUIDFilter(field_name="building_id")
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    text = django_filters.CharFilter(method="filter_text", help_text="Part of the name or the credit code.")

    class Meta:
        model = Organisation
        fields = ["kind", "tag", "status", "building", "grid", "text"]

    def filter_tag(
        self, queryset: QuerySet[Organisation], name: str, value: list[str]
    ) -> QuerySet[Organisation]:
        return queryset.filter(tags__contains=list(value)) if value else queryset

    def filter_text(self, queryset: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        norm = normalise_org_name(value)
        return queryset.filter(
            Q(name__contains=value.strip())
            | Q(name_norm__contains=norm)
            | Q(credit_code=value.strip().upper())
        )


class EmploymentFilter(django_filters.FilterSet):
    person = django_filters.UUIDFilter(field_name="person_id")
    organisation = django_filters.UUIDFilter(field_name="organisation_id")
    current = django_filters.BooleanFilter(
        field_name="until", lookup_expr="isnull", help_text="Still working there."
    )

    class Meta:
        model = Employment
        fields = ["person", "organisation", "current"]


class AlertFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")

    class Meta:
        model = Alert
        fields = ["kind", "status", "grid"]
