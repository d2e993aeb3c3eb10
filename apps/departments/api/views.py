"""The department directory and each department's staff, for those entitled to see them."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.pagination import CursorPagination
from apps.core.principals import principal_of
from apps.core.visibility import visible

from .. import selectors
from ..filters import DepartmentFilter
from ..models import Department, DepartmentMembership
from .serializers import DepartmentMemberSerializer, DepartmentSerializer


class DepartmentPagination(CursorPagination):
    ordering = "code"


@extend_schema(tags=["departments"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    """Departments. The directory is open to every caller; staff and keys only to those entitled."""

    # A department's API keys (``<id>/api-keys/``) are served by the accounts app, which owns the keys.

    serializer_class = DepartmentSerializer
    pagination_class = DepartmentPagination
    filterset_class = DepartmentFilter

    def get_queryset(self) -> QuerySet[Department]:
        queryset = visible(Department, self.request.user).select_related("jurisdiction", "parent")
        if self.action == "members":
            return queryset.filter(
                pk__in=selectors.departments_managed_by(principal_of(self.request)).values("pk")
            )
        return queryset.filter(is_active=True)

    @extend_schema(responses={200: DepartmentMemberSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def members(self, request: Request, pk: Any = None) -> Response:
        department = self.get_object()
        memberships = (
            visible(DepartmentMembership, request.user)
            .filter(department=department)
            .select_related("user")
            .order_by("user__username")
        )
        return Response(DepartmentMemberSerializer(memberships, many=True).data)
