"""Statistics endpoints: indicators (考核指标) and registry statistics (实有人口、实有房屋), as JSON, CSV, XLSX
and charts."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import HasRole
from apps.core.renderers import JSONRenderer

from ..exports import Sheets, indicator_sheets, registry_sheets
from ..registry import registry_table
from ..reports import INDICATOR_NAMES, indicator_table
from .renderers import CHART_RENDERERS, TABLE_RENDERERS
from .serializers import (
    StatsIndicatorQuerySerializer,
    StatsIndicatorTableSerializer,
    StatsRegistryQuerySerializer,
    StatsRegistryTableSerializer,
)

CanCount = HasRole.of("admin", "dispatcher", "department_staff", "department_system")

EXPORTS = {
    200: OpenApiResponse(
        StatsIndicatorTableSerializer,
        description="JSON; with `?format=csv` or `xlsx` the same table (Chinese headers; in XLSX one sheet per "
        "level), with `?format=png` or `svg` a chart of `indicator` (trend of the totals, ranking of the last period).",
    ),
}


class _StatsView(APIView):
    permission_classes = [IsAuthenticated, CanCount]
    renderer_classes = [*TABLE_RENDERERS, *CHART_RENDERERS]
    chart_indicator = "composite"

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are problem documents whatever the format asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


@extend_schema(tags=["stats"])
class IndicatorsView(_StatsView):
    """考核指标: the 三率, 应结案数, 综合指标值 and the grade, per period and department, node, category, channel
    or worker. Dispatchers count their territory, departments themselves, administrators everything."""

    def export_sheets(self, data: dict[str, Any]) -> Sheets:
        return indicator_sheets(data, INDICATOR_NAMES)

    @extend_schema(parameters=[StatsIndicatorQuerySerializer], responses=EXPORTS)
    def get(self, request: Request) -> Response:
        params = StatsIndicatorQuerySerializer(data=request.query_params, context={"principal": request.user})
        params.is_valid(raise_exception=True)
        self.chart_indicator = params.validated_data["indicator"]
        table = indicator_table(
            principal=request.user, query=params.query(), period_kind=params.validated_data["period"]
        )
        return Response(StatsIndicatorTableSerializer(table.as_dict()).data)


@extend_schema(tags=["stats"])
class RegistryStatsView(_StatsView):
    """实有人口 (by household type, gender, age band, and special groups for those entitled to the tags),
    实有房屋 (by use), arrivals and departures per period — for a node and each of its children."""

    renderer_classes = TABLE_RENDERERS

    def export_sheets(self, data: dict[str, Any]) -> Sheets:
        return registry_sheets(data)

    @extend_schema(
        parameters=[StatsRegistryQuerySerializer],
        responses={
            200: OpenApiResponse(StatsRegistryTableSerializer, description="JSON, or `?format=csv|xlsx`.")
        },
    )
    def get(self, request: Request) -> Response:
        params = StatsRegistryQuerySerializer(data=request.query_params, context={"principal": request.user})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        table = registry_table(principal=request.user, node=data["node"], periods=data["periods"])
        return Response(StatsRegistryTableSerializer(table).data)
