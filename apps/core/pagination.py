"""Cursor pagination for every list: stable under concurrent inserts, page size capped by settings."""

from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    """``?cursor=`` opaque position, ``?page_size=`` up to ``API_MAX_PAGE_SIZE``."""

    ordering = "-created_at"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        # Read per instance so settings overrides (and tests) apply.
        self.page_size = int(settings.API_PAGE_SIZE)
        self.max_page_size = int(settings.API_MAX_PAGE_SIZE)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError) as exc:
            # A cursor's position is only checked when the page is read: one that was not made here (say a
            # word where the ordering is by number) is as invalid as an undecodable one.
            if request.query_params.get(self.cursor_query_param):
                raise NotFound(self.invalid_cursor_message) from exc
            raise


class GeoJsonCursorPagination(CursorPagination):
    """Cursor pagination whose page is a GeoJSON FeatureCollection (RFC 7946) with next/previous links."""

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("type", "FeatureCollection"),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("features", data["features"]),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # ``schema`` is the FeatureCollection component of the list serializer; add the links to it.
        links = {
            "type": "object",
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }
        return {"allOf": [schema, links]}
