"""Cursor pagination for every list: stable under concurrent inserts, page size capped by settings."""

import datetime as dt
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.core.filters import OutOfRangeError, utc


class CursorPagination(pagination.CursorPagination):
    """``?cursor=`` opaque position, ``?page_size=`` up to ``API_MAX_PAGE_SIZE``."""

    ordering = "-created_at"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        # Read per instance so settings overrides (and tests) apply.
        self.page_size = int(settings.API_PAGE_SIZE)
        self.max_page_size = int(settings.API_MAX_PAGE_SIZE)
        self._model: Any = None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = getattr(queryset, "model", None)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError) as exc:
            # A cursor's position is only checked when the page is read: one that was not made here (say a
            # word where the ordering is by number) is as invalid as an undecodable one.
            if request.query_params.get(self.cursor_query_param):
                raise NotFound(self.invalid_cursor_message) from exc
            raise

    def decode_cursor(self, request: Any) -> pagination.Cursor | None:
        """The cursor, its position checked against the ordering column before it reaches a query.

        Cursors are not signed: a hand-made position (a NUL in a code, a time whose zone offset PostgreSQL
        refuses) must be the client's invalid cursor, not a refused statement that aborts the transaction.
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None or self._model is None:
            return cursor
        try:
            position: Any = self._checked_position(str(cursor.position))
        except (ValueError, TypeError, DjangoValidationError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        return cursor._replace(position=position)

    def _checked_position(self, position: str) -> str:
        if "\x00" in position:
            raise OutOfRangeError(position)
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:  # an annotation: the query itself checks it
            return position
        value = field.to_python(position)
        if isinstance(value, dt.datetime):
            return utc(value).isoformat()
        return position


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
