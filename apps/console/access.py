"""Who may open the console, and signing in to it.

The console is the dispatchers' screen: administrators and dispatchers only. Everybody else signed in gets a
403 on every page; what a dispatcher then sees is decided by the same visibility gate and selectors as the API.
Sign-in is Django's session login, behind the API's own sign-in throttle (failures per username and client,
and per client), so the console is no cheaper a place to guess passwords than ``/api/v1/auth/token/``.
"""

import functools
import math
from collections.abc import Callable
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from apps.accounts.throttling import SignInThrottle
from apps.core.permissions import role_of

CONSOLE_ROLES = frozenset({"admin", "dispatcher"})
View = Callable[..., HttpResponse]


def console_page(view: View) -> View:
    """A console page: signed in (else to the sign-in page), and an administrator or a dispatcher (else 403)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if role_of(request.user) not in CONSOLE_ROLES:
            raise PermissionDenied(_("The console is for dispatchers."))
        return view(request, *args, **kwargs)

    return login_required(wrapped, login_url="console:login")


class _ThrottleRequest:
    """What ``SignInThrottle`` reads of a request (DRF's ``data``), over a plain Django request."""

    def __init__(self, request: HttpRequest) -> None:
        self.method = request.method
        self.META = request.META
        self.headers = request.headers
        self.data = {"username": request.POST.get("username", "")}


class SignInView(auth_views.LoginView):
    """``/console/login/``: the session sign-in, throttled like the API's token sign-in."""

    template_name = "console/login.html"
    redirect_authenticated_user = True
    next_page = "console:home"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = SignInThrottle()
        probe: Any = _ThrottleRequest(request)
        if not throttle.allow_request(probe, self):
            wait = math.ceil(throttle.wait() or 60)
            refused = TemplateResponse(
                request, self.template_name, {"form": self.get_form(), "throttled": wait}, status=429
            )
            refused["Retry-After"] = str(wait)
            return refused
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the credentials were refused
            throttle.record_failure(probe)
        return response
