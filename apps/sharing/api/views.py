"""Sharing endpoints: the catalogue, subscriptions (administrators write, departments read their own),
the feeds department systems read, and the access log."""

import uuid
from typing import Any, cast

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import CursorPagination
from apps.core.permissions import HasRole, IsAdmin, role_of
from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.journal.api.serializers import ChangeSerializer, PullOutputSerializer
from apps.journal.models import AccessChannel, AccessLogEntry
from apps.territory.models import TerritoryNode

from .. import selectors, services, webhooks
from ..feeds import feed_page, subscription_for_reader, subscription_record
from ..filters import AccessLogFilter
from ..models import CatalogueField, DeliveryStatus, Subscription, WebhookDelivery, WebhookEndpoint
from .serializers import (
    AccessLogEntrySerializer,
    CatalogueFieldSerializer,
    FeedQuerySerializer,
    SubscriptionInputSerializer,
    SubscriptionSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)


@extend_schema(tags=["sharing"])
class CatalogueList(generics.ListAPIView[CatalogueField]):
    """Every shareable field of every record type and its sensitivity (目录清单)."""

    serializer_class = CatalogueFieldSerializer
    pagination_class = None
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return visible(CatalogueField, self.request.user)


class SubscriptionPagination(CursorPagination):
    ordering = "-created_at"


@extend_schema(tags=["sharing"])
class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Subscription]
):
    """Subscriptions: administrators grant and change them (audited); a department system reads its own."""

    serializer_class = SubscriptionSerializer
    pagination_class = SubscriptionPagination

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "partial_update"}:
            return [IsAdmin()]
        return [HasRole.of("admin", "department_system")()]

    def get_queryset(self) -> Any:
        return visible(Subscription, self.request.user)

    def _resolved(self, data: dict[str, Any], department: Any) -> dict[str, Any]:
        values = {k: v for k, v in data.items() if k not in {"department", "nodes"}}
        if "endpoint" in values:
            endpoint_id = values.pop("endpoint")
            values["endpoint"] = services.endpoint_of(department, endpoint_id) if endpoint_id else None
            if endpoint_id and values["endpoint"] is None:
                raise ValidationError({"endpoint": [_("No such endpoint of this department.")]})
        return values

    @staticmethod
    def _nodes(codes: list[str] | None) -> list[TerritoryNode] | None:
        if codes is None:
            return None
        nodes = selectors.nodes_by_codes(codes)
        missing = sorted(set(codes) - {node.code for node in nodes})
        if missing:
            raise ValidationError(
                {"nodes": [_("Unknown territory codes: %(codes)s") % {"codes": ", ".join(missing)}]}
            )
        return nodes

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SubscriptionSerializer})
    def create(self, request: Request) -> Response:
        serializer = SubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        department = selectors.department_by_code(data["department"])
        if department is None:
            raise ValidationError({"department": [_("No department with this code.")]})
        subscription = services.subscription_create(
            department=department, nodes=self._nodes(data["nodes"]) or [], actor=request.user,
            **self._resolved(data, department),
        )  # fmt: skip
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionInputSerializer, responses={200: SubscriptionSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        serializer = SubscriptionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        subscription = services.subscription_update(
            subscription=subscription, actor=request.user, nodes=self._nodes(data.get("nodes")),
            **self._resolved(data, subscription.department),
        )  # fmt: skip
        return Response(SubscriptionSerializer(subscription).data)


@extend_schema(tags=["sharing"])
class FeedChangesView(APIView):
    """A department system reads the changes of one of its subscriptions (the mobile pull's envelope)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[FeedQuerySerializer],
        responses={200: PullOutputSerializer, 410: OpenApiResponse(description="Expired or foreign cursor.")},
        summary="Read a subscription's changes, projected to what it grants",
    )
    def get(self, request: Request, subscription_id: uuid.UUID) -> Response:
        if role_of(request.user) != "department_system":
            raise PermissionDenied(_("Feeds are read by department systems with their API key."))
        subscription = subscription_for_reader(cast(Principal, request.user), subscription_id)
        if subscription is None:
            raise Http404
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = feed_page(subscription=subscription, token=query.validated_data.get("cursor"),
                         limit=query.validated_data["limit"], channel=AccessChannel.FEED)  # fmt: skip
        return Response(page)


@extend_schema(tags=["sharing"])
class FeedRecordView(APIView):
    """One record through a subscription, projected to what it grants (404 outside its scope)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ChangeSerializer}, summary="Read one record of a subscription's scope")
    def get(
        self, request: Request, subscription_id: uuid.UUID, record_type: str, record_id: uuid.UUID
    ) -> Response:
        if role_of(request.user) != "department_system":
            raise PermissionDenied(_("Feeds are read by department systems with their API key."))
        subscription = subscription_for_reader(cast(Principal, request.user), subscription_id)
        record = subscription and subscription_record(
            subscription=subscription, record_type=record_type, record_id=record_id
        )
        if not record:
            raise Http404
        return Response(record)


@extend_schema(tags=["sharing"])
class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[WebhookEndpoint]
):
    """Where departments receive signed webhooks (administrators)."""

    serializer_class = WebhookEndpointSerializer
    pagination_class = SubscriptionPagination
    permission_classes = [IsAdmin]

    def get_queryset(self) -> Any:
        return visible(WebhookEndpoint, self.request.user)

    @extend_schema(request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request) -> Response:
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = selectors.department_by_code(serializer.validated_data["department"])
        if department is None:
            raise ValidationError({"department": [_("No department with this code.")]})
        data = serializer.validated_data
        endpoint, secret = webhooks.endpoint_create(department=department, url=data["url"],
                                                    receives_events=data["receives_events"],
                                                    receives_alerts=data["receives_alerts"])  # fmt: skip
        body = {**WebhookEndpointSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class DeliveryPagination(CursorPagination):
    ordering = "-created_at"


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    endpoint = django_filters.UUIDFilter(field_name="endpoint_id")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


@extend_schema(tags=["sharing"])
class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[WebhookDelivery]
):
    """Webhook deliveries and dead letters (``?status=dead``); an administrator replays a dead letter."""

    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryPagination
    filterset_class = DeliveryFilter
    permission_classes = [IsAdmin]

    def get_queryset(self) -> Any:
        return visible(WebhookDelivery, self.request.user)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: Any = None) -> Response:
        delivery = webhooks.delivery_replay(delivery=self.get_object(), actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data)


class AccessLogPagination(CursorPagination):
    ordering = "-id"


@extend_schema(tags=["sharing"])
class AccessLogList(generics.ListAPIView[AccessLogEntry]):
    """Who read which sensitive or special fields of which record, when, and why (administrators only)."""

    serializer_class = AccessLogEntrySerializer
    pagination_class = AccessLogPagination
    filterset_class = AccessLogFilter
    permission_classes = [IsAdmin]

    def get_queryset(self) -> Any:
        return visible(AccessLogEntry, self.request.user)
