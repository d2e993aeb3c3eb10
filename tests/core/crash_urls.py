"""A URL configuration with endpoints that fail, to test the 500 path."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from gridapi.urls import handler404, handler500
from gridapi.urls import urlpatterns as base_patterns


@api_view(["GET"])
@permission_classes([AllowAny])
def crash_api(request: Request) -> HttpResponse:
    raise RuntimeError("boom 110101199003077777")


def crash_plain(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/crash/", crash_api), path("crash/", crash_plain), *base_patterns]
__all__ = ["handler404", "handler500", "urlpatterns"]
