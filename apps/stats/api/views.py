"""Statistics endpoints: indicators (考核指标) and registry statistics (实有人口、实有房屋), as JSON, CSV, XLSX
and charts."""


from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import HasRole

from ..reports import INDICATOR_NAMES, indicator_table
from .renderers import CHART_RENDERERS, TABLE_RENDERERS
from .serializers import StatsIndicatorQuerySerializer, StatsIndicatorTableSerializer

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
    column_names: dict[str, str] = {}
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

    column_names = INDICATOR_NAMES

    @extend_schema(parameters=[StatsIndicatorQuerySerializer], responses=EXPORTS)
    def get(self, request: Request) -> Response:
        params = StatsIndicatorQuerySerializer(data=request.query_params, context={"principal": request.user})
        params.is_valid(raise_exception=True)
        self.chart_indicator = params.validated_data["indicator"]
        table = indicator_table(principal=request.user, query=params.query(), period_kind=params.validated_data["period"])
        return Response(StatsIndicatorTableSerializer(table.as_dict()).data)


