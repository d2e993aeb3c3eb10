"""Open311 GeoReport v2 at ``/open311/v2/``: services, service definitions, requests, tokens; JSON and XML.

Plain Django views: the spec's form-encoded POST with ``api_key``, its error lists and its two formats are not
DRF's, and the OpenAPI schema does not describe them (the GeoReport spec does). Extensions beyond the spec:
``page`` and ``page_size`` (at most 1,000, the spec's limit) and ``bbox=min_long,min_lat,max_long,max_lat`` on
``GET requests``.
"""

import datetime as dt
import math
import uuid
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Polygon
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from apps.core.filters import OutOfRangeError, utc
from apps.core.visibility import visible, visible_get
from apps.events.models import EventCategory

from ..inputs import open311_report
from ..models import ChannelKind, ChannelRequest, ServiceAttribute
from ..open311 import Open311Error, attribute_of, render, render_error, request_of, service_of
from ..services import channel_report
from ..services.intake import UnmappedCategoryError
from .authentication import ChannelClient, client_of

MAX_PAGE = 1000  # the spec's limit of one response
DEFAULT_DAYS = 90  # the spec's default range when no dates are given

View = Callable[..., HttpResponse]


def open311_view(view: View) -> View:
    """A GeoReport view: throttled like the rest of the API, its errors (``Open311Error``) answered as the
    spec's error list in the requested format.

    The view gets ``client``: the channel behind a POST's ``api_key`` (each channel has its own budget, as a
    session does), or None (counted per client address, as anonymous callers are).
    """

    def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            _refuse_nul(request)
            client = client_of(request.POST.get("api_key", "")) if request.method == "POST" else None
            wait = throttle_wait(request, client)
            if wait is not None:
                response = render_error(Open311Error(429, "too many requests, retry later"), fmt)
                response["Retry-After"] = str(max(1, math.ceil(wait)))
                return response
            return view(request, *args, fmt=fmt, client=client, **kwargs)
        except Open311Error as error:
            return render_error(error, fmt)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _refuse_nul(request: HttpRequest) -> None:
    """NUL cannot be stored or compared as text by PostgreSQL: a parameter carrying one is the client's 400."""
    for params in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
        for name, values in params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise Open311Error(400, f"{name.replace(chr(0), '')} contains a NUL character")


def throttle_wait(request: HttpRequest, client: ChannelClient | None) -> float | None:
    """Seconds to wait when the caller is over its budget, by the project's throttle classes (which allow,
    with a logged warning, when the cache is down); None when the request may go on."""
    caller = Request(request)
    caller.user = cast(Any, client) if client is not None else AnonymousUser()
    caller.auth = client.channel if client is not None else None
    waits = []
    for throttle_class in cast(list[Callable[[], BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES):
        throttle = throttle_class()
        if not throttle.allow_request(caller, APIView()):
            waits.append(throttle.wait() or 1.0)
    return max(waits) if waits else None


def _anonymous() -> AnonymousUser:
    return AnonymousUser()


@open311_view
@require_http_methods(["GET"])
def discovery(request: HttpRequest, *, fmt: str, client: ChannelClient | None) -> HttpResponse:
    """Where this server's GeoReport v2 endpoint is and which formats it speaks."""
    base = request.build_absolute_uri("/open311/v2/")
    document = {
        "changeset": "2026-12-05T00:00:00Z", "contact": "", "key_service": "",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-12-05T00:00:00Z", "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }  # fmt: skip
    return render(document, fmt, root="discovery")


# Families whose reports name people in distress or under supervision: not offered on a public API whose
# requests anyone may read back.
PRIVATE_FAMILIES = ("mental_crisis", "special_groups", "floating_population")


def _categories() -> Any:
    return (
        visible(EventCategory, _anonymous())
        .filter(is_active=True)
        .exclude(family_id__in=PRIVATE_FAMILIES)
        .select_related("family")
    )


def _with_attributes() -> set[str]:
    return set(visible(ServiceAttribute, _anonymous()).values_list("category_id", flat=True))


@open311_view
@require_http_methods(["GET"])
def services(request: HttpRequest, *, fmt: str, client: ChannelClient | None) -> HttpResponse:
    """GET Service List: every active category of the event catalogue, grouped by family."""
    with_attributes = _with_attributes()
    return render([service_of(c, with_attributes) for c in _categories()], fmt, root="services")


@open311_view
@require_http_methods(["GET"])
def service_definition(
    request: HttpRequest, service_code: str, *, fmt: str, client: ChannelClient | None
) -> HttpResponse:
    """GET Service Definition: the extra attributes a service asks for."""
    category = _categories().filter(pk=service_code).first()
    if category is None:
        raise Open311Error(404, f"service_code {service_code} not found")
    attributes = visible(ServiceAttribute, _anonymous()).filter(category=category)
    document = {"service_code": category.code, "attributes": [attribute_of(a) for a in attributes]}
    return render(document, fmt, root="service_definition")


@open311_view
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, *, fmt: str, client: ChannelClient | None) -> HttpResponse:
    """GET Service Requests (filtered, paged) or POST Service Request (form-encoded, with ``api_key``)."""
    if request.method == "POST":
        return _post(request, fmt, client)
    return render([request_of(r) for r in _search(request.GET)], fmt, root="service_requests")


def _post(request: HttpRequest, fmt: str, client: ChannelClient | None) -> HttpResponse:
    form = request.POST
    if not form.get("api_key"):
        raise Open311Error(400, "api_key was not provided")
    if client is None or client.channel.kind != ChannelKind.OPEN311:
        raise Open311Error(403, "api_key is invalid")
    report = open311_report(form, _categories(), principal=client)
    try:
        outcome = channel_report(channel=client.channel, report=report)
    except UnmappedCategoryError:  # pragma: no cover - Open311 services are categories: always mapped
        raise Open311Error(400, "service_code is invalid") from None
    body = [{"service_request_id": str(outcome.request.pk), "token": outcome.request.token,
             "service_notice": "", "account_id": ""}]  # fmt: skip
    return render(body, fmt, root="service_requests", status=201)


def _dates(params: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    found = []
    for name in ("start_date", "end_date"):
        value = params.get(name)
        parsed = parse_datetime(value) if value else None
        if value and parsed is None:
            raise Open311Error(400, f"{name} is not a W3C datetime")
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        try:
            found.append(utc(parsed) if parsed is not None else None)  # any offset, compared in UTC
        except OutOfRangeError:
            raise Open311Error(400, f"{name} is outside the years 1-9999 in UTC") from None
    return found[0], found[1]


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError:
        raise Open311Error(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return value


def _bbox(value: str) -> Polygon:
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise Open311Error(400, "bbox must be min_long,min_lat,max_long,max_lat") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise Open311Error(400, "bbox must be min_long,min_lat,max_long,max_lat") from None
    return Polygon.from_bbox((west, south, east, north))


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _search(params: Any) -> list[ChannelRequest]:
    queryset = visible(ChannelRequest, _anonymous()).select_related("event__category", "event__department")
    if params.get("service_request_id"):
        ids = [_uuid(i.strip()) for i in params["service_request_id"].split(",")][:MAX_PAGE]
        return list(queryset.filter(pk__in=[i for i in ids if i]).order_by("-created_at"))
    start, end = _dates(params)
    if start is None and end is None:
        start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lte=end)
    if params.get("service_code"):
        queryset = queryset.filter(event__category_id__in=params["service_code"].split(","))
    if params.get("status"):
        wanted = set(params["status"].split(","))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        closed = Q(event__status__in=["closed", "rated", "cancelled", "merged"])
        if wanted == {"open"}:
            queryset = queryset.exclude(closed)
        elif wanted == {"closed"}:
            queryset = queryset.filter(closed)
    if params.get("bbox"):
        queryset = queryset.filter(event__location__within=_bbox(params["bbox"]))
    page = _int(params, "page", 1, 1, 1_000_000)
    size = _int(params, "page_size", MAX_PAGE, 1, MAX_PAGE)
    return list(queryset.order_by("-created_at", "-id")[(page - 1) * size : page * size])


@open311_view
@require_http_methods(["GET"])
def request_detail(
    request: HttpRequest, service_request_id: str, *, fmt: str, client: ChannelClient | None
) -> HttpResponse:
    """GET Service Request: one request by its id."""
    queryset = visible(ChannelRequest, _anonymous()).select_related("event__category", "event__department")
    given = _uuid(service_request_id)
    found = visible_get(ChannelRequest, _anonymous(), given, queryset) if given else None
    if found is None:
        raise Open311Error(404, f"service_request_id {service_request_id} not found")
    return render([request_of(found)], fmt, root="service_requests")


@open311_view
@require_http_methods(["GET"])
def token(request: HttpRequest, token: str, *, fmt: str, client: ChannelClient | None) -> HttpResponse:
    """GET service_request_id from a token."""
    found = visible(ChannelRequest, _anonymous()).filter(token=token).first()
    if found is None:
        raise Open311Error(404, f"token {token} not found")
    return render([{"service_request_id": str(found.pk), "token": found.token}], fmt, root="service_requests")
