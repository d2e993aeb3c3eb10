"""The department directory, and each department's staff and keys for those entitled to see them."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.pagination import CursorPagination

from .. import selectors
from ..filters import DepartmentFilter
from ..models import Department
from .serializers import ApiKeyOutputSerializer, DepartmentMemberSerializer, DepartmentSerializer


class DepartmentPagination(CursorPagination):
    ordering = "code"


@extend_schema(tags=["departments"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    """Departments. The directory is open to every caller; staff and keys only to those entitled."""

    serializer_class = DepartmentSerializer
    pagination_class = DepartmentPagination
    filterset_class = DepartmentFilter

    def get_queryset(self) -> QuerySet[Department]:
        if self.action in {"members", "api_keys"}:
            return selectors.departments_managed_by(self.request.user)
        return selectors.departments_directory()

    @extend_schema(responses={200: DepartmentMemberSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def members(self, request: Request, pk: Any = None) -> Response:
        department = self.get_object()
        memberships = department.memberships.select_related("user").order_by("user__username")
        return Response(DepartmentMemberSerializer(memberships, many=True).data)

    @extend_schema(responses={200: ApiKeyOutputSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], url_path="api-keys", pagination_class=None, filterset_class=None)
    def api_keys(self, request: Request, pk: Any = None) -> Response:
        department = self.get_object()
        return Response(ApiKeyOutputSerializer(department.api_keys.order_by("-created_at"), many=True).data)
