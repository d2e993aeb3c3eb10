"""Filters for registry lists: territory, attributes, bounding box, distance, address text."""

from typing import Any

import django_filters
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.geo.crs import metres_to_degrees
from apps.core.text import normalise_address

from .models import Building, BuildingUse, HouseholdType, Person, PersonTag, Relation, Residence, ReviewItem


def _floats(name: str, value: str, count: int) -> list[float]:
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != count:
        raise ValidationError({name: [_("Expected %(count)d comma-separated numbers.") % {"count": count}]})
    return numbers


class GeoFilterMixin(django_filters.FilterSet):
    bbox = django_filters.CharFilter(
        method="filter_bbox", help_text="min lon,min lat,max lon,max lat (WGS84)."
    )
    near = django_filters.CharFilter(method="filter_near", help_text="lon,lat,radius in metres (≤ 5000).")
    grid = django_filters.CharFilter(field_name="grid__code", help_text="Grid code.")
    community = django_filters.CharFilter(method="filter_community", help_text="Community code.")

    def filter_bbox(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        x0, y0, x1, y1 = _floats(name, value, 4)
        if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
            raise ValidationError({name: [_("Not a valid bounding box.")]})
        return queryset.filter(location__within=Polygon.from_bbox((x0, y0, x1, y1)))

    def filter_near(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        lon, lat, radius = _floats(name, value, 3)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90 and 0 < radius <= 5000):
            raise ValidationError({name: [_("Longitude, latitude or radius out of range.")]})
        point = Point(lon, lat, srid=4326)
        # An indexed box in degrees first, then the true distance in metres.
        degrees = max(metres_to_degrees(radius, lat))
        return (
            queryset.filter(location__dwithin=(point, degrees))
            .annotate(distance=Distance("location", point))
            .filter(distance__lte=D(m=radius))
        )

    def filter_community(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(grid__parent__code=value)


class BuildingFilter(GeoFilterMixin):
    use = django_filters.ChoiceFilter(choices=BuildingUse.choices)
    address = django_filters.CharFilter(method="filter_address", help_text="Part of the address.")

    class Meta:
        model = Building
        fields = ["use", "grid", "community", "bbox", "near", "address"]

    def filter_address(self, queryset: QuerySet[Building], name: str, value: str) -> QuerySet[Building]:
        return queryset.filter(address_norm__contains=normalise_address(value))


class PersonFilter(GeoFilterMixin):
    household_type = django_filters.ChoiceFilter(choices=HouseholdType.choices)
    tags = django_filters.MultipleChoiceFilter(
        choices=PersonTag.choices, method="filter_tags", help_text="People with all of these tags."
    )
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains")

    class Meta:
        model = Person
        fields = ["household_type", "tags", "grid", "community", "bbox", "near", "name"]

    def filter_tags(self, queryset: QuerySet[Person], name: str, value: list[str]) -> QuerySet[Person]:
        return queryset.filter(tags__contains=list(value)) if value else queryset


class ResidenceFilter(django_filters.FilterSet):
    person = django_filters.UUIDFilter(field_name="person_id")
    building = django_filters.UUIDFilter(field_name="building_id")
    relation = django_filters.ChoiceFilter(choices=Relation.choices)
    current = django_filters.BooleanFilter(
        field_name="until", lookup_expr="isnull", help_text="Still living there."
    )

    class Meta:
        model = Residence
        fields = ["person", "building", "relation", "current"]


class ReviewItemFilter(django_filters.FilterSet):
    class Meta:
        model = ReviewItem
        fields = ["status", "record_type"]
