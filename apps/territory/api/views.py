"""Territory endpoints: map layers, point location, import, worker assignments."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.geo.crs import to_wgs84
from apps.core.pagination import CursorPagination, GeoJsonCursorPagination
from apps.core.parsers import JSONParser
from apps.core.permissions import IsAdmin, IsAdminOrDispatcher, role_of
from apps.core.principals import principal_of
from apps.core.visibility import visible

from .. import selectors, services
from ..filters import GridAssignmentFilter, TerritoryNodeFilter
from ..models import GridAssignment, TerritoryNode
from .serializers import (
    GridAssignmentEndSerializer,
    GridAssignmentSerializer,
    LocateOutputSerializer,
    LocateQuerySerializer,
    SimplifyQuerySerializer,
    TerritoryImportInputSerializer,
    TerritoryImportQuerySerializer,
    TerritoryImportReportSerializer,
    TerritoryNodeFeatureSerializer,
)

SIMPLIFY = OpenApiParameter("simplify", float, description="Simplification tolerance in metres (0–5000).")


class NodePagination(GeoJsonCursorPagination):
    ordering = "path"


@extend_schema(tags=["territory"])
class TerritoryNodeViewSet(viewsets.ReadOnlyModelViewSet[TerritoryNode]):
    """Territory nodes as GeoJSON features, for maps and pickers."""

    serializer_class = TerritoryNodeFeatureSerializer
    pagination_class = NodePagination
    filterset_class = TerritoryNodeFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]{1,32}"

    def get_queryset(self) -> QuerySet[TerritoryNode]:
        params = SimplifyQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.nodes_for_map(
            nodes=visible(TerritoryNode, self.request.user), simplify_m=params.validated_data.get("simplify")
        ).select_related("parent")

    @extend_schema(parameters=[SIMPLIFY])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[SIMPLIFY])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class LocateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["territory"],
        parameters=[LocateQuerySerializer],
        responses={200: LocateOutputSerializer},
        summary="The grid containing a point, and its ancestors",
    )
    def get(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lon, lat = to_wgs84(
            query.validated_data["lon"], query.validated_data["lat"], query.validated_data["crs"]
        )
        location = selectors.grid_locate(lon=lon, lat=lat)
        if location is None:
            raise NotFound(
                _("The point (%(lon).6f, %(lat).6f) is outside every grid.") % {"lon": lon, "lat": lat}
            )
        output = LocateOutputSerializer(
            {
                "point": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "crs": "wgs84",
                "grid": location.grid,
                "ancestors": location.ancestors,
            }
        )
        return Response(output.data)


class TerritoryImportView(APIView):
    permission_classes = [IsAdmin]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["territory"],
        parameters=[TerritoryImportQuerySerializer],
        request=TerritoryImportInputSerializer,
        responses={200: TerritoryImportReportSerializer, 400: TerritoryImportReportSerializer},
        summary="Import territory nodes from GeoJSON (all or nothing)",
    )
    def post(self, request: Request) -> Response:
        query = TerritoryImportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        TerritoryImportInputSerializer(data=request.data).is_valid(raise_exception=True)
        report = services.territory_import(
            feature_collection=request.data, dry_run=query.validated_data["dry_run"]
        )
        if not report.ok:
            raise ValidationError({"features": [error.as_dict() for error in report.errors]})
        return Response(TerritoryImportReportSerializer(report.as_dict()).data)


class AssignmentPagination(CursorPagination):
    ordering = "-created_at"


@extend_schema(tags=["territory"])
class GridAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[GridAssignment],
):
    """Who serves which grid. Workers see their own; dispatchers manage those in their territory."""

    serializer_class = GridAssignmentSerializer
    pagination_class = AssignmentPagination
    filterset_class = GridAssignmentFilter

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "end"}:
            return [IsAdminOrDispatcher()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[GridAssignment]:
        return visible(GridAssignment, self.request.user)

    def perform_create(self, serializer: Any) -> None:
        grid = serializer.validated_data["grid"]
        if (
            role_of(self.request.user) != "admin"
            and not selectors.grids_visible_to(principal_of(self.request)).filter(pk=grid.pk).exists()
        ):
            raise ValidationError({"grid": [_("This grid is outside your territory.")]})
        serializer.instance = services.grid_assignment_create(
            worker=serializer.validated_data["worker"],
            grid=grid,
            valid_from=serializer.validated_data["valid_from"],
            valid_to=serializer.validated_data.get("valid_to"),
            actor=principal_of(self.request),
        )

    @extend_schema(request=GridAssignmentEndSerializer, responses={200: GridAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        data = GridAssignmentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.grid_assignment_end(
            assignment=assignment, valid_to=data.validated_data["valid_to"]
        )
        return Response(GridAssignmentSerializer(assignment).data, status=status.HTTP_200_OK)
