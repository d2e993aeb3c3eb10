"""``/api/v1/sync/push/``, ``/api/v1/sync/pull/`` and the supervisors' conflict queue."""

from typing import Any, cast

import orjson
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import DeviceToken
from apps.core.pagination import CursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.journal.api.serializers import PullOutputSerializer

from .. import services
from ..inputs import PushInputSerializer
from ..models import ConflictItem
from ..selectors import sync_pull
from .serializers import (
    ConflictItemSerializer,
    ConflictResolveSerializer,
    PullQuerySerializer,
    PushOutputSerializer,
)

CanSync = HasRole.of("admin", "dispatcher", "grid_worker")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Replays the whole response for the same key.",
)


class PushView(APIView):
    permission_classes = [CanSync]

    @extend_schema(
        tags=["sync"], request=PushInputSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={200: PushOutputSerializer, 413: OpenApiResponse(description="Over 1,000 mutations or 5 MB.")},
        summary="Push a batch of mutations (each applied at most once)",
        description="Each mutation is applied at most once per user and mutation id. When the request is signed "
        "with a device token, observations are recorded under the token's device and the body's `device_id` is "
        "ignored. `cursor` in the response is the pull cursor the push carried, checked and re-signed (null if "
        "none, or not the user's valid one, was sent).",
    )  # fmt: skip
    def post(self, request: Request) -> HttpResponse:
        reply = services.push_request(
            user=cast(Principal, request.user), body=request.body, data=request.data,
            idempotency_key=request.headers.get("Idempotency-Key"),
            token_device_id=getattr(request.auth, "device_id", None) if isinstance(request.auth, DeviceToken) else None,
        )  # fmt: skip
        return HttpResponse(reply.content, status=reply.status, content_type="application/json")


class PullView(APIView):
    permission_classes = [CanSync]

    @extend_schema(
        tags=["sync"], parameters=[PullQuerySerializer],
        responses={200: PullOutputSerializer, 410: OpenApiResponse(description="Expired or foreign cursor.")},
        summary="Pull the changes in the device's scope",
    )  # fmt: skip
    def get(self, request: Request) -> HttpResponse:
        query = PullQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = sync_pull(
            user=cast(Principal, request.user), token=query.validated_data.get("cursor"), limit=query.validated_data["limit"],
            types=query.validated_data["types"],
        )  # fmt: skip
        # A page is a thousand plain records: orjson renders it in a fraction of the standard renderer's time.
        return HttpResponse(orjson.dumps(page), content_type="application/json")


class ConflictPagination(CursorPagination):
    ordering = "-created_at"


@extend_schema(tags=["sync"])
class ConflictViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ConflictItem]
):
    """Fields a device and the server both changed; supervisors (dispatchers) keep one value."""

    serializer_class = ConflictItemSerializer
    pagination_class = ConflictPagination
    permission_classes = [IsAdminOrDispatcher]
    filterset_fields = ["status", "record_type"]

    def get_queryset(self) -> QuerySet[ConflictItem]:
        return visible(ConflictItem, self.request.user)

    @extend_schema(request=ConflictResolveSerializer, responses={200: ConflictItemSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        data = ConflictResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = services.conflict_resolve(
            conflict=self.get_object(), keep=data.validated_data["keep"], actor=cast(Principal, request.user)
        )
        return Response(ConflictItemSerializer(conflict).data)
