"""Service refusals as messages on the page the dispatcher comes back to (the console's 4xx)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, ValidationError

from apps.core.errors import IllegalTransition, PreconditionFailed


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{field}: {text}" for field, value in detail.items() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _flatten(item)]
    return [str(detail)]


def refused(request: HttpRequest, exc: APIException) -> int:
    """Show why a service refused; the HTTP status the API would have answered."""
    if isinstance(exc, PreconditionFailed):
        messages.error(
            request,
            _(
                "This page was out of date: someone changed the event in the meantime (412). It has been reloaded; check and try again."
            ),
        )
    elif isinstance(exc, IllegalTransition):
        messages.error(request, _("Not allowed now (409): %(detail)s") % {"detail": exc.detail})
    elif isinstance(exc, ValidationError):
        messages.error(request, "; ".join(_flatten(exc.detail)))
    else:
        messages.error(request, f"{exc.detail} ({exc.status_code})")
    return int(exc.status_code)


def form_errors(request: HttpRequest, errors: Any) -> None:
    messages.error(request, "; ".join(_flatten(dict(errors))))


def see_other(url: str) -> HttpResponseRedirect:
    """After a POST: back to a page with a GET (303), where the messages show."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
