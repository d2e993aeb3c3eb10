"""Operations endpoints: patrols (GeoJSON, detail with figures, track as GeoJSON or GPX), patrol points and missed
checks, check-ins, visits, tasks and task notices. Every read starts from the visibility gate."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.ids import uuid7
from apps.core.pagination import CursorPagination, GeoJsonCursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.core.renderers import JSONRenderer
from apps.core.visibility import visible, visible_get_or_404
from apps.journal.models import AccessChannel

from .. import selectors, services
from ..filters import CheckInFilter, PatrolFilter, PatrolPointFilter, TaskFilter, VisitFilter
from ..models import TRACK_MAX_DEVIATION_M, CheckIn, Patrol, PatrolPoint, Task, TaskNotice, Visit
from ..services import Outcome
from .gpx import GpxRenderer, track_gpx
from .serializers import (
    AppliedSerializer,
    CheckInSerializer,
    MissedCheckSerializer,
    MissedQuerySerializer,
    PatrolChunkInputSerializer,
    PatrolCreateInputSerializer,
    PatrolDetailSerializer,
    PatrolFeatureSerializer,
    PatrolPointFeatureSerializer,
    PatrolPointInputSerializer,
    TaskCreateInputSerializer,
    TaskNoticeSerializer,
    TaskSerializer,
    TaskStatusInputSerializer,
    VisitCreateInputSerializer,
    VisitSerializer,
)

IsWorker = HasRole.of("grid_worker")
CanVisit = HasRole.of("admin", "dispatcher", "grid_worker")
UUID_RE = "[0-9a-fA-F-]{32,36}"


class NewestFirst(CursorPagination):
    ordering = "-id"


class NewestFirstGeo(GeoJsonCursorPagination):
    ordering = "-id"


def answered(outcome: Outcome, *, created: bool = False) -> Response:
    """An outcome of a service as a REST answer: 201/200 with id and version, or a 400 with the field errors."""
    if outcome.status != "applied":
        errors = dict(outcome.errors)
        raise ValidationError({**errors.pop("data", {}), **errors})
    return Response(
        AppliedSerializer({"id": outcome.id, "version": outcome.version}).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        headers={"ETag": f'"{outcome.version}"'},
    )


def _without(data: Any, *names: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names} if isinstance(data, dict) else {}


@extend_schema(tags=["patrols"])
class PatrolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Patrol]):
    """Patrols (巡查) as GeoJSON: a worker their own, a dispatcher those for grids of their territory."""

    serializer_class = PatrolFeatureSerializer
    pagination_class = NewestFirstGeo
    filterset_class = PatrolFilter
    lookup_value_regex = UUID_RE

    def get_permissions(self) -> list[Any]:
        return [IsWorker()] if self.action in {"create", "chunks"} else [IsAuthenticated()]

    def handle_exception(self, exc: Exception) -> Response:
        # A problem asked for as GPX (the track of a patrol one may not see, …) is still a problem document.
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response

    def get_queryset(self) -> QuerySet[Patrol]:
        # The LineStringM is never loaded here: maps use ``path``, the track endpoint reads the vertices.
        return visible(Patrol, self.request.user).defer("track").prefetch_related("grids")

    def get_object(self) -> Patrol:
        return visible_get_or_404(Patrol, self.request.user, self.kwargs["pk"], self.get_queryset())

    @extend_schema(responses={200: PatrolDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patrol = self.get_object()
        return Response(PatrolDetailSerializer(patrol).data, headers={"ETag": f'"{patrol.version}"'})

    @extend_schema(
        request=PatrolCreateInputSerializer, responses={201: AppliedSerializer, 200: AppliedSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a patrol (with its first chunk); sending the same start again answers 200."""
        body = request.data if isinstance(request.data, dict) else {}
        outcome = services.patrol_apply(
            principal=request.user, record_id=body.get("id"), op="create", data=_without(body, "id", "crs"),
            crs=str(body.get("crs") or "wgs84"), device=getattr(request.auth, "device_id", "") or "",
        )  # fmt: skip
        return answered(outcome, created=outcome.status == "applied" and outcome.version == 1)

    @extend_schema(request=PatrolChunkInputSerializer, responses={200: AppliedSerializer})
    @action(detail=True, methods=["post"])
    def chunks(self, request: Request, pk: str) -> Response:
        """Append a chunk of the track (points keyed by seq: a chunk sent twice is stored once)."""
        body = request.data if isinstance(request.data, dict) else {}
        outcome = services.patrol_apply(
            principal=request.user, record_id=pk, op="update", data=_without(body, "crs"),
            crs=str(body.get("crs") or "wgs84"),
        )  # fmt: skip
        return answered(outcome)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "gpx"], description="gpx: GPX 1.1"),
            OpenApiParameter("source", str, enum=["track", "raw"], description="raw: every raw fix"),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON Feature"),
            (200, "application/gpx+xml"): OpenApiResponse(OpenApiTypes.STR, description="GPX 1.1"),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, GpxRenderer])
    def track(self, request: Request, pk: str) -> Response:
        """The derived track (simplified, ≤ 5 m from every fix used) or the raw fixes, as GeoJSON or GPX."""
        patrol = self.get_object()
        raw = request.query_params.get("source") == "raw"
        points = selectors.patrol_track_points(patrol.pk, raw=raw)
        if request.accepted_renderer.format == "gpx":
            name = f"{patrol.get_kind_display()} {patrol.started_at.isoformat()}"
            return Response(track_gpx(name=name, description=str(patrol.pk), points=points))
        times = [dt.datetime.fromtimestamp(m, tz=dt.UTC).isoformat() for _, _, m in points]
        feature = {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y, _ in points]}
            if len(points) >= 2 else None,
            "properties": {"id": str(patrol.pk), "version": patrol.version, "source": "raw" if raw else "track",
                           "max_deviation_m": None if raw else TRACK_MAX_DEVIATION_M, "times": times},
        }  # fmt: skip
        return Response(feature)


@extend_schema(tags=["patrols"])
class PatrolPointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[PatrolPoint]
):  # fmt: skip
    """Patrol points (巡更点) of the grids in the caller's scope; dispatchers define them."""

    serializer_class = PatrolPointFeatureSerializer
    pagination_class = NewestFirstGeo
    filterset_class = PatrolPointFilter
    lookup_value_regex = UUID_RE

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "partial_update", "destroy"}:
            return [IsAdminOrDispatcher()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[PatrolPoint]:
        return visible(PatrolPoint, self.request.user).select_related("grid").defer("grid__boundary")

    def get_object(self) -> PatrolPoint:
        return visible_get_or_404(PatrolPoint, self.request.user, self.kwargs["pk"], self.get_queryset())

    @extend_schema(request=PatrolPointInputSerializer, responses={201: PatrolPointFeatureSerializer})
    def create(self, request: Request) -> Response:
        values = PatrolPointInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        fields = dict(values.validated_data)
        point = services.patrol_point_create(actor=request.user, grid_code=fields.pop("grid"), **fields)
        return Response(PatrolPointFeatureSerializer(point).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PatrolPointInputSerializer, responses={200: PatrolPointFeatureSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        point = self.get_object()
        values = PatrolPointInputSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        changes = dict(values.validated_data)
        if "grid" in changes:
            changes["grid_code"] = changes.pop("grid")
        point = services.patrol_point_update(point=point, actor=request.user, changes=changes)
        return Response(PatrolPointFeatureSerializer(point).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Retire a point (its check-ins stay): it is no longer scheduled."""
        services.patrol_point_update(point=self.get_object(), actor=request.user, changes={"active": False})
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[MissedQuerySerializer], responses={200: MissedCheckSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def missed(self, request: Request) -> Response:
        """Missed checks (漏巡): windows of each scheduled point that ended without a counted check-in."""
        query = MissedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        missed = selectors.missed_checks(request.user, **query.validated_data)
        return Response(MissedCheckSerializer(missed, many=True).data)


@extend_schema(tags=["patrols"])
class CheckInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CheckIn]):
    """Check-ins at the points the caller may see (a worker: their own), with whether each counted."""

    serializer_class = CheckInSerializer
    pagination_class = NewestFirst
    filterset_class = CheckInFilter
    lookup_value_regex = UUID_RE

    def get_queryset(self) -> QuerySet[CheckIn]:
        return visible(CheckIn, self.request.user)

    def get_object(self) -> CheckIn:
        return visible_get_or_404(CheckIn, self.request.user, self.kwargs["pk"])


@extend_schema(tags=["visits"])
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Visit]):
    """Visits (入户走访), visible like the records they concern; reading one that met people with special tags is
    written to the access log."""

    serializer_class = VisitSerializer
    pagination_class = NewestFirst
    filterset_class = VisitFilter
    lookup_value_regex = UUID_RE

    def get_permissions(self) -> list[Any]:
        return [CanVisit()] if self.action == "create" else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Visit]:
        return visible(Visit, self.request.user).select_related("grid").defer("grid__boundary")

    def get_object(self) -> Visit:
        return visible_get_or_404(Visit, self.request.user, self.kwargs["pk"], self.get_queryset())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.visits_access_log(user=request.user, visits=page or [], channel=AccessChannel.REST)
        return self.get_paginated_response(VisitSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        visit = self.get_object()
        services.visits_access_log(user=request.user, visits=[visit], channel=AccessChannel.REST)
        return Response(VisitSerializer(visit).data, headers={"ETag": f'"{visit.version}"'})

    @extend_schema(
        request=VisitCreateInputSerializer, responses={201: AppliedSerializer, 200: AppliedSerializer}
    )
    def create(self, request: Request) -> Response:
        """Record a visit (201, version 1; the same visit sent again is answered the same); a visit sent again
        with changes is updated and answered 200 with its new version."""
        body = request.data if isinstance(request.data, dict) else {}
        outcome = services.visit_apply(principal=request.user, record_id=body.get("id") or uuid7(), op="create",
                                       data=_without(body, "id"))  # fmt: skip
        return answered(outcome, created=outcome.version == 1)


@extend_schema(tags=["tasks"])
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Task]):
    """Tasks (走访/核查任务): dispatchers create them; the workers of the grid see and update theirs."""

    serializer_class = TaskSerializer
    pagination_class = NewestFirst
    filterset_class = TaskFilter
    lookup_value_regex = UUID_RE

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "cancel"}:
            return [IsAdminOrDispatcher()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Task]:
        return visible(Task, self.request.user).select_related("grid").defer("grid__boundary")

    def get_object(self) -> Task:
        return visible_get_or_404(Task, self.request.user, self.kwargs["pk"], self.get_queryset())

    @extend_schema(request=TaskCreateInputSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        values = TaskCreateInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        task = services.task_create(
            actor=request.user, kind=data["kind"], title=data["title"], due=data["due"],
            subject_type=data["subject"]["type"], subject_id=data["subject"]["id"], note=data["note"],
        )  # fmt: skip
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskStatusInputSerializer, responses={200: AppliedSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str) -> Response:
        """Accept a task, or close it done or unable (with a reason) — as a device's ``task`` update does."""
        self.get_object()
        return answered(services.task_device_update(principal=request.user, record_id=pk, data=request.data))

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        task = services.task_cancel(task=self.get_object(), actor=request.user)
        return Response(TaskSerializer(task).data)

    @extend_schema(responses={200: TaskNoticeSerializer(many=True)})
    @action(detail=False, methods=["get"], filterset_class=None, serializer_class=TaskNoticeSerializer)
    def notices(self, request: Request) -> Response:
        """The caller's notices (overdue tasks of their grids), newest first."""
        queryset = (
            visible(TaskNotice, request.user).select_related("task__grid").defer("task__grid__boundary")
        )
        page = self.paginate_queryset(queryset)  # type: ignore[arg-type]
        return self.get_paginated_response(TaskNoticeSerializer(page, many=True).data)
