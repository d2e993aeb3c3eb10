"""Channels' REST endpoints: administrators manage channels; hotlines post work orders, sensor networks alarms."""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import BearerAuthentication
from apps.core.permissions import HasRole, IsAdmin
from apps.core.visibility import visible, visible_get_or_404

from ..inputs import (
    AlarmBatchInput,
    ChannelActionInput,
    ChannelCreateInput,
    MappingsInput,
    WorkOrderBatchInput,
)
from ..models import Channel, ChannelKind, ChannelRequest
from ..selectors import callers_of_event
from ..services import channel_create, channel_key_rotate, channel_mappings_set, channel_update
from ..services.feedback import channel_act
from ..services.hotline import work_orders_receive
from ..services.sensors import alarms_receive
from .authentication import ChannelClient, ChannelKeyAuthentication
from .serializers import (
    AlarmBatchResultSerializer,
    CallerSerializer,
    ChannelCreatedSerializer,
    ChannelSerializer,
    ChannelUpdateSerializer,
    OrderBatchResultSerializer,
    RequestStateSerializer,
)

IsChannel = HasRole.of("channel")


def _with_relations(principal: Any) -> Any:
    return (
        visible(Channel, principal).select_related("triage_category").prefetch_related("mappings__category")
    )


@extend_schema(tags=["channels"])
class ChannelListView(APIView):
    """Channels events come in through (Open311, 12345 hotline, sensor networks): administrators only."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=ChannelSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ChannelSerializer(_with_relations(request.user), many=True).data)

    @extend_schema(request=ChannelCreateInput, responses={201: ChannelCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = ChannelCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        channel, key = channel_create(name=data.validated_data["name"], kind=data.validated_data["kind"],
                                      endpoint_id=data.validated_data["endpoint"],
                                      triage_category=data.validated_data["triage_category"])  # fmt: skip
        channel = visible_get_or_404(Channel, request.user, channel.pk, _with_relations(request.user))
        body = ChannelCreatedSerializer(channel).data | {"key": key}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["channels"])
class ChannelDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=ChannelSerializer)
    def get(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = visible_get_or_404(Channel, request.user, channel_id, _with_relations(request.user))
        return Response(ChannelSerializer(channel).data)

    @extend_schema(request=ChannelUpdateSerializer, responses=ChannelSerializer)
    def patch(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = visible_get_or_404(Channel, request.user, channel_id)
        data = ChannelUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        channel_update(channel=channel, data=dict(data.validated_data))
        channel = visible_get_or_404(Channel, request.user, channel_id, _with_relations(request.user))
        return Response(ChannelSerializer(channel).data)


@extend_schema(tags=["channels"])
class ChannelMappingsView(APIView):
    """The channel's category mapping table, replaced as a whole: ``{"mappings": {their code: category}}``."""

    permission_classes = [IsAdmin]

    @extend_schema(request=MappingsInput, responses=ChannelSerializer)
    def put(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = visible_get_or_404(Channel, request.user, channel_id)
        data = MappingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        channel_mappings_set(channel=channel, mappings=data.validated_data["mappings"])
        channel = visible_get_or_404(Channel, request.user, channel_id, _with_relations(request.user))
        return Response(ChannelSerializer(channel).data)


@extend_schema(tags=["channels"])
class ChannelKeyView(APIView):
    """A new key for the channel (shown once); the old one stops working."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=ChannelCreatedSerializer)
    def post(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = visible_get_or_404(Channel, request.user, channel_id)
        key = channel_key_rotate(channel=channel)
        channel = visible_get_or_404(Channel, request.user, channel_id, _with_relations(request.user))
        return Response(ChannelCreatedSerializer(channel).data | {"key": key})


def _channel_of(request: Request, kind: str) -> Channel:
    client = request.user
    if not isinstance(client, ChannelClient) or client.channel.kind != kind:
        raise PermissionDenied()
    return client.channel


@extend_schema(tags=["channels"])
class WorkOrdersView(APIView):
    """A 12345 hotline posts a batch of work orders (工单); each order number is taken once."""

    authentication_classes = [ChannelKeyAuthentication, BearerAuthentication]
    permission_classes = [IsChannel]

    @extend_schema(request=WorkOrderBatchInput, responses=OrderBatchResultSerializer)
    def post(self, request: Request) -> Response:
        channel = _channel_of(request, ChannelKind.HOTLINE)
        data = WorkOrderBatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = work_orders_receive(channel=channel, orders=data.validated_data["orders"])
        return Response({"results": [r.as_dict() for r in results]})


@extend_schema(tags=["channels"])
class AlarmsView(APIView):
    """A sensor network posts a batch of alarms; a sensor's repeats attach to its open event."""

    authentication_classes = [ChannelKeyAuthentication, BearerAuthentication]
    permission_classes = [IsChannel]

    @extend_schema(request=AlarmBatchInput, responses=AlarmBatchResultSerializer)
    def post(self, request: Request) -> Response:
        channel = _channel_of(request, ChannelKind.SENSOR)
        data = AlarmBatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = alarms_receive(channel=channel, alarms=data.validated_data["alarms"])
        return Response(AlarmBatchResultSerializer({"results": results}).data)


@extend_schema(tags=["channels"])
class RequestActionView(APIView):
    """The channel verifies (``ok``) or rates (``rating`` 1–5) the event one of its requests became."""

    authentication_classes = [ChannelKeyAuthentication, BearerAuthentication]
    permission_classes = [IsChannel]

    @extend_schema(request=ChannelActionInput, responses=RequestStateSerializer)
    def post(self, request: Request, request_id: uuid.UUID) -> Response:
        found = visible_get_or_404(ChannelRequest, request.user, request_id,
                                   visible(ChannelRequest, request.user).select_related("channel__account", "event"))  # fmt: skip
        data = ChannelActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        event = channel_act(
            request=found, action=fields.pop("action"), note=fields.pop("note"), fields=fields
        )
        return Response({"request_id": found.pk, "event_id": event.pk, "status": event.status})


@extend_schema(tags=["channels"])
class EventCallersView(APIView):
    """Who called about an event (12345 callers, Open311 residents): only for the department handling it."""

    permission_classes = [HasRole.of("department_system", "department_staff")]

    @extend_schema(responses=CallerSerializer(many=True))
    def get(self, request: Request, event_id: uuid.UUID) -> Response:
        return Response(CallerSerializer(callers_of_event(request.user, event_id), many=True).data)
