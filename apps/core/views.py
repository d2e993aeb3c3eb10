"""Health checks and the problem-details handlers Django uses outside DRF views."""

import logging

import kombu
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import problem_response

logger = logging.getLogger(__name__)


@extend_schema(
    tags=["health"],
    responses={200: inline_serializer("Liveness", {"status": serializers.CharField()})},
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def healthz(request: Request) -> Response:
    """Liveness: the process answers. Checks nothing else, so a slow database never restarts web workers."""
    return Response({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readiness: database check failed: %s", exc.__class__.__name__)
        return exc.__class__.__name__
    return None


def _check_broker() -> str | None:
    try:
        with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        logger.warning("readiness: broker check failed: %s", exc.__class__.__name__)
        return exc.__class__.__name__
    return None


@extend_schema(
    tags=["health"],
    responses={
        200: inline_serializer(
            "Readiness",
            {
                "status": serializers.CharField(),
                "checks": serializers.DictField(child=serializers.CharField()),
            },
        ),
        503: inline_serializer(
            "NotReady",
            {
                "status": serializers.CharField(),
                "checks": serializers.DictField(child=serializers.CharField()),
            },
        ),
    },
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def readyz(request: Request) -> Response:
    """Readiness: the database (with PostGIS) and the Celery broker answer."""
    failures = {"database": _check_database(), "broker": _check_broker()}
    checks = {name: ("ok" if failure is None else f"error: {failure}") for name, failure in failures.items()}
    ready = all(failure is None for failure in failures.values())
    return Response(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(request, status_code=400, code="bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(request, status_code=403, code="permission_denied")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(request, status_code=404, code="not_found", detail=_("No such resource."))


def server_error(request: HttpRequest) -> JsonResponse:
    return problem_response(
        request,
        status_code=500,
        code="server_error",
        detail=_("The error was logged; please try again later."),
    )
