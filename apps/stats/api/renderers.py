"""Renderers of the statistics tables: CSV, XLSX and charts (PNG, SVG), chosen with ``?format=``."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

from ..charts import indicator_chart
from ..exports import Sheets, sheets_csv, sheets_xlsx


class _TableRenderer(BaseRenderer):
    charset: str | None = None
    render_style = "binary"

    def sheets(self, data: Any, context: Mapping[str, Any] | None) -> Sheets:
        """The view says how its table is laid out in sheets (``export_sheets``)."""
        view = (context or {}).get("view")
        return view.export_sheets(data)  # type: ignore[union-attr]

    def table(self, data: Any, context: Mapping[str, Any] | None) -> bytes:
        raise NotImplementedError

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:  # fmt: skip
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:  # a problem document stays JSON
            return JSONRenderer().render(data)
        return self.table(data, renderer_context)


class CsvRenderer(_TableRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def table(self, data: Any, context: Mapping[str, Any] | None) -> bytes:
        return sheets_csv(self.sheets(data, context))


class XlsxRenderer(_TableRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"

    def table(self, data: Any, context: Mapping[str, Any] | None) -> bytes:
        return sheets_xlsx(self.sheets(data, context))


class _ChartRenderer(_TableRenderer):
    def table(self, data: Any, context: Mapping[str, Any] | None) -> bytes:
        view = (context or {}).get("view")
        return indicator_chart(
            data, indicator=getattr(view, "chart_indicator", "composite"), image_format=self.format
        )


class PngRenderer(_ChartRenderer):
    media_type = "image/png"
    format = "png"


class SvgRenderer(_ChartRenderer):
    media_type = "image/svg+xml"
    format = "svg"


TABLE_RENDERERS = [JSONRenderer, CsvRenderer, XlsxRenderer]
CHART_RENDERERS = [PngRenderer, SvgRenderer]
