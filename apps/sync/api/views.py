"""``/api/v1/sync/push/``, ``/api/v1/sync/pull/`` and the supervisors' conflict queue."""

import hashlib
import json
from typing import Any, cast

import orjson
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import PayloadTooLarge
from apps.core.pagination import CursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.journal.api.serializers import PullOutputSerializer

from .. import services
from ..models import ConflictItem, ReplayableResponse
from ..selectors import sync_pull
from .serializers import (
    ConflictItemSerializer,
    ConflictResolveSerializer,
    MutationSerializer,
    PullQuerySerializer,
    PushInputSerializer,
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
    )  # fmt: skip
    def post(self, request: Request) -> HttpResponse:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > services.MAX_BATCH_BYTES:
            raise PayloadTooLarge(_("A batch may carry at most 5 MB."))
        sent = request.data.get("mutations") if isinstance(request.data, dict) else None
        if isinstance(sent, list) and len(sent) > services.MAX_MUTATIONS:
            raise PayloadTooLarge(_("A batch may carry at most 1,000 mutations."))
        user: Any = request.user
        key = request.headers.get("Idempotency-Key")
        request_hash = hashlib.sha256(request.body).hexdigest()
        if key:
            stored = ReplayableResponse.objects.filter(user=user, key=key[:255]).first()
            if stored is not None:
                if stored.request_hash != request_hash:
                    raise ValidationError(
                        {"Idempotency-Key": [_("This key was used for a different request.")]}
                    )
                return HttpResponse(bytes(stored.body), status=stored.status, content_type="application/json")
        envelope = PushInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        mutations, results = [], []
        validator = MutationSerializer()  # one instance for the batch: its fields are built once
        for index, raw in enumerate(envelope.validated_data["mutations"]):
            try:
                mutation = validator.run_validation(raw)
            except ValidationError as exc:
                if not isinstance(raw.get("mutation_id"), str):
                    raise ValidationError({"mutations": {str(index): exc.detail}}) from exc
                results.append(
                    (index, services.mutation_result(raw["mutation_id"], "rejected", errors=exc.detail))
                )
                continue
            mutations.append((index, json.loads(json.dumps(mutation, default=str))))
        context = services.PushContext(
            user=request.user,
            device_id=envelope.validated_data["device_id"],
            crs=envelope.validated_data["crs"],
        )
        applied = services.sync_push(context=context, mutations=[m for _, m in mutations])
        results += list(zip([i for i, _ in mutations], applied, strict=True))
        body = {
            "results": [r for _, r in sorted(results, key=lambda pair: pair[0])],
            "cursor": request.data.get("cursor"),
        }
        # The results already have the shape of PushOutputSerializer (the schema's), as stored for replays.
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        if key:
            try:
                with transaction.atomic():
                    ReplayableResponse.objects.create(
                        user=user, key=key[:255], request_hash=request_hash, status=200, body=content
                    )
            except IntegrityError:  # a concurrent request stored it first: answer what it answered
                stored = ReplayableResponse.objects.get(user=user, key=key[:255])
                return HttpResponse(bytes(stored.body), status=stored.status, content_type="application/json")
        return HttpResponse(content, status=200, content_type="application/json")


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
            conflict=self.get_object(), keep=data.validated_data["keep"], actor=request.user
        )
        return Response(ConflictItemSerializer(conflict).data)
