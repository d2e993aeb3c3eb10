"""Health checks and the problem-details handlers Django uses outside DRF views."""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import kombu
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
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


READY_DEADLINE_SECONDS = 1.5
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="readyz")
_in_flight: dict[str, Future[None]] = {}
_in_flight_lock = threading.Lock()


def _check_database() -> None:
    """PostGIS answers, on a connection of its own (with a short connect timeout) closed right after."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    options = {**wrapper.settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
    wrapper.settings_dict = {**wrapper.settings_dict, "OPTIONS": options}
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            cursor.fetchone()
    finally:
        wrapper.close()


def _check_broker() -> None:
    with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=0)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "broker": _check_broker,
}  # not the cache: without it throttles allow and every request still works


def _run_checks(deadline_s: float = READY_DEADLINE_SECONDS) -> dict[str, str | None]:
    """Every check at once, each in a thread, all within ``deadline_s``: a hung dependency is a failure.

    A check still running from an earlier probe is not started again (a hung server would otherwise
    collect one waiting thread per probe); it counts as failed until it returns.
    """
    with _in_flight_lock:
        futures = {}
        for name, check in CHECKS.items():
            running = _in_flight.get(name)
            if running is None or running.done():
                running = _in_flight[name] = _pool.submit(check)
            futures[name] = running
    done, _pending = wait(futures.values(), timeout=deadline_s)
    failures: dict[str, str | None] = {}
    for name, future in futures.items():
        if future not in done:
            failures[name] = "Timeout"
        elif (exc := future.exception()) is not None:
            failures[name] = exc.__class__.__name__
        else:
            failures[name] = None
        if failures[name]:
            logger.warning("readiness: %s check failed: %s", name, failures[name])
    return failures


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
    """Readiness: the database (with PostGIS) and the Celery broker answer, within 2 seconds."""
    failures = _run_checks()
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
