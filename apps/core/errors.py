"""RFC 9457 problem details for every error the API returns.

One shape everywhere: ``{"type", "title", "status", "detail", "instance", "code", "errors"}``,
served as ``application/problem+json``. ``errors`` maps field names to lists of messages (nested for
nested input) and is present on validation failures.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body too large.")
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class IllegalTransition(Conflict):
    """409 for an action the resource's state (or the caller's part in it) does not allow.

    ``allowed`` lists what the caller may do instead; it is rendered as a top-level member.
    """

    default_code = "illegal_transition"

    def __init__(self, detail: str, *, allowed: list[str]) -> None:
        super().__init__(detail)
        self.extra = {"allowed": allowed}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The resource has changed since the version given in If-Match.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy("This request must carry an If-Match header with the resource's ETag.")
    default_code = "precondition_required"


def _titles() -> dict[int, str]:
    return {
        400: _("Invalid request"),
        401: _("Authentication required"),
        403: _("Permission denied"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        410: _("Gone"),
        412: _("Precondition failed"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        428: _("Precondition required"),
        429: _("Too many requests"),
        500: _("Internal server error"),
        503: _("Service unavailable"),
    }


def problem_body(
    *,
    status_code: int,
    code: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: Any = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Build a problem-details document."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title or _titles().get(status_code, _("Error")),
        "status": status_code,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest | None, **kwargs: Any) -> JsonResponse:
    """A problem-details response for use outside DRF views (URL resolver, middleware)."""
    body = problem_body(instance=request.path if request is not None else None, **kwargs)
    return JsonResponse(
        body,
        status=body["status"],
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _normalise_errors(detail: Any) -> Any:
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return detail


class DataOutOfRange(exceptions.APIException):
    """A value the database cannot represent (PostgreSQL's class 22 "data exception").

    Validation should have caught it (a timestamp with a +21:10 offset, a year before 1 in UTC); this is the
    net under every filter and field, so such a value is the client's 400, never a 500.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy(
        "A value in the request is out of the range the server can store or compare."
    )
    default_code = "value_out_of_range"


RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(exceptions.APIException):
    """The database cannot be reached right now (restarting, failing over): retry shortly, nothing was written."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The database is unavailable for a moment; please retry.")
    default_code = "service_unavailable"
    wait = RETRY_AFTER_SECONDS  # DRF's handler turns it into Retry-After


def is_connection_loss(exc: BaseException) -> bool:
    """The database connection failed or was lost: the request may be retried as it is.

    ``InterfaceError`` is a closed connection; ``OperationalError`` covers a refused or broken connection and
    an administrator's termination (class 08 and 57P01–57P03). Other operational errors (a lock timeout, a
    serialisation failure) are the request's own and stay errors.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}


def unavailable_response(request: HttpRequest | None) -> JsonResponse:
    response = problem_response(
        request,
        status_code=503,
        code="service_unavailable",
        detail=str(ServiceUnavailable.default_detail),
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler rendering problem details; unknown exceptions propagate (→ 500)."""
    if is_connection_loss(exc):
        logger.warning("database unavailable: %s", str(exc).splitlines()[0][:200] if str(exc) else type(exc))
        exc = ServiceUnavailable()
    if isinstance(exc, DataError | OverflowError):
        logger.warning("a request value the database refused: %s", str(exc).splitlines()[0][:200])
        exc = DataOutOfRange()
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None

    request = context.get("request")
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        body = problem_body(
            status_code=response.status_code,
            code="validation_error",
            detail=_("The request has invalid fields; see errors."),
            errors=_normalise_errors(detail),
            instance=request.path if request is not None else None,
        )
    else:
        code = detail.code if isinstance(detail, exceptions.ErrorDetail) else exc.default_code
        body = problem_body(
            status_code=response.status_code,
            code=str(code),
            detail=str(detail) if isinstance(detail, str) else None,
            errors=None if isinstance(detail, str) else detail,
            instance=request.path if request is not None else None,
        )
    body.update(getattr(exc, "extra", None) or {})
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
