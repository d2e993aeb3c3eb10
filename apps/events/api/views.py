"""Event endpoints: report, list (GeoJSON), detail with timeline, actions, split, triage, catalogue, notices."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.http import IF_MATCH, created_or_merged, crs_context, etag, expected_version, principal
from apps.core.pagination import CursorPagination, GeoJsonCursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.core.visibility import visible, visible_get_or_404

from .. import selectors, services
from ..filters import EventFilter
from ..inputs import EventActionInputSerializer, EventReportInputSerializer
from ..lifecycle import Actor, actor_for, allowed_actions
from ..models import Event, EventCategory, EventNotice, EventReport
from ..routing import route_event
from .serializers import (
    EventCategorySerializer,
    EventDetailSerializer,
    EventFeatureSerializer,
    EventNoticeSerializer,
    EventReportResultSerializer,
    EventSplitInputSerializer,
    RoutePreviewInputSerializer,
    RoutePreviewSerializer,
)

CanReport = HasRole.of("admin", "dispatcher", "grid_worker")


class EventPagination(GeoJsonCursorPagination):
    ordering = "-id"


def report_result(outcome: services.ReportOutcome, submitted_id: Any) -> Response:
    event = outcome.event
    body = {
        "id": event.pk, "outcome": "created" if outcome.created else "merged", "version": event.version,
        "status": event.status, "merged_into": None if outcome.created else event.pk,
        "submitted_id": outcome.report.submitted_id if outcome.report else (submitted_id or event.pk), "routing": event.routing, "match": outcome.explanation(),
    }  # fmt: skip
    return created_or_merged(
        EventReportResultSerializer(body).data, created=outcome.created, version=event.version
    )


@extend_schema(tags=["events"])
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Event]):
    """Events (事件) as GeoJSON: workers their reports and grids, departments theirs, dispatchers their territory."""

    serializer_class = EventFeatureSerializer
    pagination_class = EventPagination
    filterset_class = EventFilter
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [CanReport()]
        if self.action == "split":
            return [IsAdminOrDispatcher()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Event]:
        return visible(Event, self.request.user).select_related("category", "grid", "department")

    def get_object(self) -> Event:
        try:
            given = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError as exc:
            raise Http404 from exc
        return visible_get_or_404(Event, self.request.user, given)

    def _detail(self, event: Event, *, status_code: int = 200) -> Response:
        event = selectors.event_detail(event)
        actor = actor_for(self.request.user, event)
        allowed = allowed_actions(
            status=event.status, actor_kind=actor.kind, suspended=event.suspended_at is not None
        )
        data = EventDetailSerializer(
            event, context={"allowed_actions": allowed, "request": self.request}
        ).data
        return Response(data, status=status_code, headers={"ETag": etag(event.version)})

    @extend_schema(responses={200: EventDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        request=EventReportInputSerializer,
        responses={
            201: EventReportResultSerializer,
            200: OpenApiResponse(EventReportResultSerializer, "Attached to an open event it duplicates."),
        },
        summary="Report an event: created and routed, or attached to the open event it duplicates",
    )
    def create(self, request: Request) -> Response:
        serializer = EventReportInputSerializer(data=request.data, context=crs_context(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        building, people = selectors.report_references(
            principal(request), building_id=data["building_id"], person_ids=data["person_ids"]
        )
        report = services.ReportInput(
            category=selectors.active_category(data["category"]), title=data["title"], location=data["location"],
            description=data["description"], occurred_at=data["occurred_at"], building=building, person_ids=people,
            photos=data["photos"], resolved_on_site=data["resolved_on_site"], submitted_id=data.get("id"),
            device_id=data["device_id"],
        )  # fmt: skip
        outcome = services.event_report(report=report, reporter=request.user)
        return report_result(outcome, data.get("id"))

    @extend_schema(
        parameters=[IF_MATCH],
        request=EventActionInputSerializer,
        responses={200: EventDetailSerializer},
        summary="Act on an event (sign, start, report_handled, return, verify, …); 409 lists the allowed actions",
    )
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: Any = None) -> Response:
        version = expected_version(request)
        event = self.get_object()
        serializer = EventActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = services.event_act(
            event=event, actor=actor_for(request.user, event), expected_version=version,
            action=services.ActionInput(action=data["action"], note=data["note"], photos=data["photos"], params=services.action_params(data)),
        )  # fmt: skip
        return self._detail(event)

    @extend_schema(
        request=EventSplitInputSerializer,
        responses={201: EventReportResultSerializer},
        summary="Split a wrongly attached report out into an event of its own",
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: Any = None) -> Response:
        event = self.get_object()
        serializer = EventSplitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = (
            visible(EventReport, request.user)
            .filter(pk=serializer.validated_data["report_id"], event=event)
            .first()
        )
        if report is None:
            raise Http404
        actor = Actor("dispatcher", user=request.user, label=str(request.user))
        outcome = services.event_report_split(
            report=report, actor=actor, note=serializer.validated_data["note"]
        )
        return report_result(outcome, report.submitted_id)


@extend_schema(
    tags=["events"], summary="The triage queue: events no rule routed, and events returned by a department"
)
class EventTriageList(generics.ListAPIView[Event]):
    """Events waiting for a dispatcher, newest first (GeoJSON)."""

    serializer_class = EventFeatureSerializer
    pagination_class = EventPagination
    filterset_class = EventFilter
    permission_classes = [IsAdminOrDispatcher]

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.events_in_triage(principal(self.request)).select_related(
            "category", "grid", "department"
        )


@extend_schema(tags=["events"])
class EventCategoryList(generics.ListAPIView[EventCategory]):
    """The event catalogue: categories with family, default level, deadlines and duplicate window."""

    serializer_class = EventCategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[EventCategory]:
        return visible(EventCategory, self.request.user).filter(is_active=True).select_related("family")


class NoticePagination(CursorPagination):
    ordering = "-created_at"


@extend_schema(tags=["events"])
class EventNoticeList(generics.ListAPIView[EventNotice]):
    """Notices to the caller's department: dispatched, overdue, reminder (催办), escalated."""

    serializer_class = EventNoticeSerializer
    pagination_class = NoticePagination
    permission_classes = [HasRole.of("admin", "department_staff", "department_system")]

    def get_queryset(self) -> QuerySet[EventNotice]:
        return visible(EventNotice, self.request.user)


@extend_schema(tags=["events"])
class RoutePreview(APIView):
    """Where would an event of this category at this point go? (Nothing is written.)"""

    permission_classes = [IsAdminOrDispatcher]

    @extend_schema(request=RoutePreviewInputSerializer, responses={200: RoutePreviewSerializer})
    def post(self, request: Request) -> Response:
        serializer = RoutePreviewInputSerializer(data=request.data, context=crs_context(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        category = selectors.active_category(data["category"])
        point = data["location"]
        _placement, route = route_event(category=category, lon=point.x, lat=point.y, level=data.get("level"))
        body = {"triage": route.triage, "department": route.department.code if route.department else None,
                "level": route.level, "explanation": route.explanation}  # fmt: skip
        return Response(RoutePreviewSerializer(body).data)
