"""Request-level guards that must act before a view reads the body."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .errors import problem_response


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
