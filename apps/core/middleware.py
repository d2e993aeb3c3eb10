"""Request-level guards that must act before a view reads the body or its parameters."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .errors import is_connection_loss, problem_response, unavailable_response


class RequestSizeLimitMiddleware:
    """Refuse bodies larger than ``GRIDAPI_MAX_REQUEST_BYTES`` with 413, judged on Content-Length.

    Views with a smaller limit (sync batches: 5 MB) check it themselves; this is the global ceiling
    that keeps a worker from buffering an arbitrarily large body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return problem_response(
                request, status_code=400, code="bad_content_length", detail=_("Invalid Content-Length.")
            )
        limit = settings.GRIDAPI_MAX_REQUEST_BYTES
        if size > limit:
            return problem_response(
                request,
                status_code=413,
                code="payload_too_large",
                detail=_("Request body of %(size)d bytes exceeds the limit of %(limit)d bytes.")
                % {"size": size, "limit": limit},
            )
        return self.get_response(request)


# NUL cannot be stored in PostgreSQL text nor used in a query; a lone UTF-16 surrogate cannot be encoded to
# UTF-8. Either in a path or a query parameter would reach a lookup or the driver and fail there with a 500.
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


class RequestCharactersMiddleware:
    """Refuse a path or query parameter holding NUL or a lone surrogate with a 400 problem, once for all views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _UNREADABLE.search(request.path_info):
            return problem_response(
                request, status_code=400, code="bad_characters",
                detail=_("The path holds characters no resource name can contain."),
            )  # fmt: skip
        bad = sorted(
            {
                key
                for key, values in request.GET.lists()
                if _UNREADABLE.search(key) or any(_UNREADABLE.search(value) for value in values)
            }
        )
        if bad:
            return problem_response(
                request,
                status_code=400,
                code="validation_error",
                detail=_("The request has invalid fields; see errors."),
                errors={
                    _UNREADABLE.sub("?", key): [
                        _("Holds characters that are not allowed (NUL, lone surrogates).")
                    ]
                    for key in bad
                },
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Outside DRF's views (middleware, sessions, the admin) a lost database connection is a 503 with
    ``Retry-After`` too, never a 500: during a PostgreSQL restart clients retry what they sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except Exception as exc:
            if is_connection_loss(exc):
                return unavailable_response(request)
            raise

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request) if is_connection_loss(exception) else None
