"""Conditional requests and the request's coordinate system, as every view that edits a record reads them."""

import re
from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import PreconditionRequired
from apps.core.principals import Principal

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description='The ETag, e.g. "3".'
)
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')
CRS_NAMES = frozenset({"wgs84", "gcj02", "bd09"})


def principal(request: Request) -> Principal:
    """The caller of an authenticated view: a user or a department's system (both satisfy ``Principal``)."""
    return cast(Principal, request.user)


def expected_version(request: Request) -> int:
    """The version the client edits, from ``If-Match`` (428 without it, 400 when it is not an ETag)."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    found = _ETAG.match(header.strip())
    if not found:
        raise ValidationError({"If-Match": [_('Expected the ETag, e.g. "3".')]})
    return int(found.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def crs_context(request: Request) -> dict[str, Any]:
    """The serializer context naming the request's ``crs`` (WGS84 when absent or unknown)."""
    crs = request.data.get("crs", "wgs84") if isinstance(request.data, dict) else "wgs84"
    # An invalid crs is reported by the serializer's own field; here it only must not break conversion.
    return {"crs": crs if isinstance(crs, str) and crs in CRS_NAMES else "wgs84"}


def created_or_merged(body: Any, *, created: bool, version: int) -> Response:
    """A collection's answer: 201 when it made a record, 200 when it was merged into one; the ETag either way."""
    return Response(
        body,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        headers={"ETag": etag(version)},
    )
