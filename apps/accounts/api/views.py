"""Sign-in for devices (``/api/v1/auth/token/``), who-am-I, and a department's API keys."""

import uuid
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.principals import principal_of
from apps.core.visibility import visible, visible_get_or_404
from apps.departments.models import Department
from apps.departments.selectors import departments_managed_by

from .. import selectors, services
from ..models import ApiKey, DeviceToken
from ..principals import DepartmentClient
from ..throttling import SignInThrottle
from .serializers import (
    ApiKeyOutputSerializer,
    MeOutputSerializer,
    TokenCreateInputSerializer,
    TokenCreateOutputSerializer,
)


def _user_payload(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "full_name": user.full_name, "roles": user.roles}


class TokenView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.request.method != "POST":
            return throttles
        self.sign_in_throttle = SignInThrottle()
        return [*throttles, self.sign_in_throttle]

    @extend_schema(
        tags=["auth"],
        request=TokenCreateInputSerializer,
        responses={201: TokenCreateOutputSerializer},
        auth=[],
        summary="Sign in on a device and get a bearer token",
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            issued = services.device_token_issue(**data.validated_data)
        except AuthenticationFailed:
            self.sign_in_throttle.record_failure(request)
            raise
        token: DeviceToken = issued.record
        grids = selectors.user_grids(user=token.user)
        output = TokenCreateOutputSerializer(
            {
                "token": issued.secret,
                "expires_at": token.expires_at,
                "user": _user_payload(token.user),
                "grids": grids,
            }
        )
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["auth"], request=None, responses={204: None}, summary="Revoke the token of this request"
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, DeviceToken):
            raise ValidationError({"token": [_("Only a device token can be revoked this way.")]})
        services.device_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"], responses={200: MeOutputSerializer}, summary="Who the credentials belong to"
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if isinstance(user, DepartmentClient):
            payload: dict[str, Any] = {
                "kind": "department_system",
                "user": None,
                "grids": [],
                "territory": None,
                "department": user.department.code,
            }
        else:
            territory = getattr(user, "territory", None)
            payload = {
                "kind": "user",
                "user": _user_payload(user),
                "grids": selectors.user_grids(user=principal_of(request)),
                "territory": territory.code if territory else None,
                "department": None,
            }
        return Response(MeOutputSerializer(payload).data)


class DepartmentApiKeysView(APIView):
    """A department's API keys (prefix and dates, never the secret), for those who manage the department."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["departments"],
        operation_id="departments_api_keys_list",
        responses={200: ApiKeyOutputSerializer(many=True)},
        summary="The API keys of a department",
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        managed = visible(Department, request.user).filter(
            pk__in=departments_managed_by(principal_of(request)).values("pk")
        )
        department = visible_get_or_404(Department, request.user, pk, queryset=managed)
        keys = visible(ApiKey, request.user).filter(department=department).order_by("-created_at")
        return Response(ApiKeyOutputSerializer(keys, many=True).data)
