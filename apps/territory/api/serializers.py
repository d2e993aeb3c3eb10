"""Shapes of territory input and output."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from apps.core.geo.crs import Crs
from apps.core.visibility import visible

from ..models import GridAssignment, Level, TerritoryNode


class TerritoryNodeBriefSerializer(serializers.ModelSerializer[TerritoryNode]):
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = TerritoryNode
        fields = ["id", "code", "name", "name_en", "level", "parent"]


@extend_schema_field(
    {
        "type": "object",
        "description": "GeoJSON MultiPolygon (WGS84), simplified when `simplify` is given.",
        "properties": {
            "type": {"type": "string", "enum": ["MultiPolygon"]},
            "coordinates": {"type": "array", "items": {"type": "array"}},
        },
    }
)
class DisplayBoundaryField(GeometryField):
    """The boundary as drawn: the annotated (possibly simplified) geometry."""


class TerritoryNodeFeatureSerializer(GeoFeatureModelSerializer):
    """A node as a GeoJSON Feature; ``geometry`` is simplified when the request asks for it."""

    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    boundary = DisplayBoundaryField(source="display_boundary", read_only=True, precision=7)

    class Meta:
        model = TerritoryNode
        geo_field = "boundary"
        id_field = "id"
        fields = ["id", "code", "name", "name_en", "level", "parent", "path", "boundary"]


class LocateQuerySerializer(serializers.Serializer[Any]):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)


class LocateOutputSerializer(serializers.Serializer[Any]):
    point = serializers.DictField(help_text="The point in WGS84 (after conversion from the given CRS).")
    crs = serializers.CharField(help_text="The CRS of `point`: always wgs84.")
    grid = TerritoryNodeBriefSerializer()
    ancestors = TerritoryNodeBriefSerializer(many=True, help_text="From the city down to the community.")


class SimplifyQuerySerializer(serializers.Serializer[Any]):
    simplify = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=5000,
        help_text="Simplify boundaries for map display with this tolerance in metres (topology kept).",
    )


class TerritoryImportQuerySerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField(default=False)


class FeatureErrorSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="Position of the feature in `features`.")
    code = serializers.CharField(allow_null=True)
    rule = serializers.CharField(
        help_text="The rule broken, e.g. invalid_polygon, outside_parent, grids_overlap."
    )
    message = serializers.CharField()


class TerritoryImportReportSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = FeatureErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not Serializer.errors


class TerritoryImportInputSerializer(serializers.Serializer[Any]):
    """A GeoJSON FeatureCollection; each feature's properties: code, name, name_en, level, parent."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=20000)


@extend_schema_field(OpenApiTypes.UUID)
class AssignableWorkerField(serializers.PrimaryKeyRelatedField[Any]):
    """A grid worker the caller may see: an unknown id and an invisible one get the same error.

    The choices come from the visibility gate of users, so the field never tells a dispatcher which user
    ids exist outside their territory.
    """

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        principal = getattr(request, "user", None)
        return visible(get_user_model(), principal).filter(role="grid_worker", is_active=True)


class GridCodeField(serializers.SlugRelatedField[Any]):
    """A grid by its code, read through the visibility gate of territory nodes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        principal = getattr(request, "user", None)
        return visible(TerritoryNode, principal).filter(level=Level.GRID)


class GridAssignmentSerializer(serializers.ModelSerializer[GridAssignment]):
    worker = AssignableWorkerField()
    grid = GridCodeField()
    worker_username = serializers.CharField(source="worker.username", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)

    class Meta:
        model = GridAssignment
        fields = [
            "id",
            "worker",
            "worker_username",
            "grid",
            "grid_name",
            "valid_from",
            "valid_to",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class GridAssignmentEndSerializer(serializers.Serializer[Any]):
    valid_to = serializers.DateField(help_text=_("Last day (inclusive) the worker serves the grid."))
