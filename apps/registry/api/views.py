"""Registry endpoints: buildings (GeoJSON), people, residences, the review queue and merges."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.attachments.selectors import check_referable
from apps.core.api.http import IF_MATCH, created_or_merged, crs_context, etag, expected_version
from apps.core.crypto import blind_index_candidates
from apps.core.pagination import CursorPagination, GeoJsonCursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.core.visibility import visible, visible_get, visible_get_or_404
from apps.journal.models import AccessChannel

from .. import selectors, services
from ..filters import BuildingFilter, PersonFilter, ResidenceFilter, ReviewItemFilter
from ..inputs import (
    BuildingCollectSerializer,
    BuildingDataSerializer,
    CollectMetaSerializer,
    PersonCollectSerializer,
    PersonDataSerializer,
    ResidenceInputSerializer,
)
from ..models import NUMBER_COLUMNS, Building, MergeEvent, Person, RecordType, Residence, ReviewItem
from ..services import CollectOutcome, ObservationMeta
from .serializers import (
    BuildingDetailSerializer,
    BuildingFeatureSerializer,
    CollectResultSerializer,
    MergeEventSerializer,
    MergeInputSerializer,
    PersonDetailSerializer,
    PersonSearchSerializer,
    PersonSerializer,
    ResidenceEndSerializer,
    ResidenceSerializer,
    ReviewDecisionSerializer,
    ReviewItemSerializer,
)

CanCollect = HasRole.of("admin", "dispatcher", "grid_worker")


def collect_meta(request: Request, meta: dict[str, Any]) -> ObservationMeta:
    return ObservationMeta(
        collector=request.user,
        collected_at=meta.get("collected_at") or timezone.now(),
        device_id=meta.get("device_id") or "",
        location=meta.get("location"),
        accuracy_m=meta.get("accuracy_m"),
        submitted_id=meta.get("id"),
    )


def collect_response(outcome: CollectOutcome) -> Response:
    merged = not outcome.created
    body = {
        "id": outcome.record.pk,
        "outcome": outcome.outcome,
        "version": outcome.record.version,
        "merged_into": outcome.record.pk if merged else None,
        "submitted_id": outcome.submitted_id if merged else outcome.record.pk,
        "match": outcome.explanation(),
        "review_id": outcome.review.pk if outcome.review else None,
    }
    return created_or_merged(
        CollectResultSerializer(body).data, created=outcome.created, version=outcome.record.version
    )


class CanonicalLookupMixin:
    """Look records up by any id ever given to them (aliases), within the caller's visible records."""

    record_type: str
    model: type[Any]
    request: Any
    kwargs: Any

    def get_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_object(self) -> Any:
        obj = visible_get_or_404(
            self.model, self.request.user, _uuid_or_404(self.kwargs["pk"]), self.get_queryset()
        )
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj

    def detail_response(self, record: Any, detail: Any, *, reveal: bool) -> Response:
        """The record with its observation history, and its version as the ETag."""
        observations = selectors.observations_of(
            record_type=self.record_type, record_id=record.pk
        ).select_related("collector")
        data = detail(record, context={"observations": observations, "reveal": reveal}).data
        return Response(data, headers={"ETag": etag(record.version)})

    def collect(self, request: Request, serializer: Any, collect: Any) -> Response:
        """Validate a collection and run it through the collect service: 201 created, 200 merged."""
        data = serializer(data=request.data, context=crs_context(request))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        return collect_response(
            collect(data=values, meta=collect_meta(request, values), payload=request.data)
        )

    def update_record(
        self, request: Request, data_serializer: Any, ignored: str, update: Any, detail: Any
    ) -> Response:
        """PATCH with If-Match: validate the fields sent, apply them through ``update``, answer the detail."""
        version = expected_version(request)
        record = self.get_object()
        meta_in = CollectMetaSerializer(data=request.data, context=crs_context(request), partial=True)
        meta_in.is_valid(raise_exception=True)
        fields = data_serializer(data=request.data, partial=True)
        fields.is_valid(raise_exception=True)
        if ignored == "photos" and fields.validated_data.get(ignored):
            # Not applied by an update, but a reference to photos out of sight is refused all the same:
            # it would otherwise reach the observation's payload.
            check_referable(user=request.user, hashes=fields.validated_data[ignored])
        changes = {k: v for k, v in fields.validated_data.items() if k in request.data and k != ignored}
        if "location" in meta_in.validated_data:
            changes["location"] = meta_in.validated_data["location"]
        record = update(
            **{self.record_type: record}, changes=changes, expected_version=version,
            meta=collect_meta(request, meta_in.validated_data), payload=request.data,
        )  # fmt: skip
        data = detail(record, context={"observations": [], "reveal": True}).data
        return Response(data, headers={"ETag": etag(record.version)})


class RecordPagination(GeoJsonCursorPagination):
    ordering = "id"


class PlainRecordPagination(CursorPagination):
    ordering = "id"


@extend_schema(tags=["registry"])
class BuildingViewSet(
    CanonicalLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Building]
):
    """Buildings (实有房屋) as GeoJSON. Workers see their grids; dispatchers their territory."""

    record_type = RecordType.BUILDING
    model = Building
    pagination_class = RecordPagination
    filterset_class = BuildingFilter
    serializer_class = BuildingFeatureSerializer

    def get_permissions(self) -> list[Any]:
        return [CanCollect()] if self.action in {"create", "partial_update"} else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Building]:
        return visible(Building, self.request.user).select_related("grid")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.detail_response(self.get_object(), BuildingDetailSerializer, reveal=False)

    @extend_schema(
        request=BuildingCollectSerializer,
        responses={
            201: CollectResultSerializer,
            200: OpenApiResponse(CollectResultSerializer, "Merged into an existing building."),
        },
        summary="Collect a building: created, or merged into the building it matches",
    )
    def create(self, request: Request) -> Response:
        return self.collect(request, BuildingCollectSerializer, services.building_collect)

    @extend_schema(
        parameters=[IF_MATCH], request=BuildingDataSerializer, responses={200: BuildingDetailSerializer}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update_record(
            request, BuildingDataSerializer, "photos", services.building_update, BuildingDetailSerializer
        )


@extend_schema(tags=["registry"])
class PersonViewSet(
    CanonicalLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Person]
):
    """People (实有人口). Lists mask personal numbers; the detail shows them to those who may see the person."""

    record_type = RecordType.PERSON
    model = Person
    pagination_class = PlainRecordPagination
    filterset_class = PersonFilter
    serializer_class = PersonSerializer

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "partial_update", "search"}:
            return [CanCollect()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Person]:
        return visible(Person, self.request.user).select_related("grid")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.people_access_log(
            user=request.user, people=page or [], channel=AccessChannel.REST, shown=services.LIST_VIEW
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        services.people_access_log(user=request.user, people=[person], channel=AccessChannel.REST)
        services.residences_access_log(
            user=request.user, residences=person.residences.all(), channel=AccessChannel.REST
        )
        return self.detail_response(person, PersonDetailSerializer, reveal=True)

    @extend_schema(
        request=PersonCollectSerializer,
        responses={
            201: CollectResultSerializer,
            200: OpenApiResponse(CollectResultSerializer, "Merged into an existing person."),
        },
        summary="Collect a person: created, or merged into the person they match",
    )
    def create(self, request: Request) -> Response:
        return self.collect(request, PersonCollectSerializer, services.person_collect)

    @extend_schema(
        parameters=[IF_MATCH], request=PersonDataSerializer, responses={200: PersonDetailSerializer}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update_record(
            request, PersonDataSerializer, "residence", services.person_update, PersonDetailSerializer
        )

    @extend_schema(
        request=PersonSearchSerializer, responses={200: PersonSerializer(many=True)}, filters=False
    )
    @action(detail=False, methods=["post"], pagination_class=None, filterset_class=None)
    def search(self, request: Request) -> Response:
        """Exact lookup by ID number, phone or passport (in the body: no personal numbers in URLs or logs)."""
        query = PersonSearchSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        field, value = next((k, v) for k, v in query.validated_data.items() if v)
        index_field = f"{NUMBER_COLUMNS[field]}_index"
        people = list(
            self.get_queryset().filter(**{f"{index_field}__in": blind_index_candidates(value)})[:20]
        )
        services.people_access_log(user=request.user, people=people, channel=AccessChannel.REST)
        return Response(PersonSerializer(people, many=True, context={"reveal": True}).data)


@extend_schema(tags=["registry"])
class ResidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Residence]):
    """Who lives where: moving in (人来登记) and moving out (人走注销)."""

    serializer_class = ResidenceSerializer
    pagination_class = PlainRecordPagination
    filterset_class = ResidenceFilter

    def get_permissions(self) -> list[Any]:
        return [CanCollect()] if self.action in {"create", "end"} else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Residence]:
        return visible(Residence, self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.residences_access_log(user=request.user, residences=page or [], channel=AccessChannel.REST)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        residence = self.get_object()
        services.residences_access_log(user=request.user, residences=[residence], channel=AccessChannel.REST)
        return Response(self.get_serializer(residence).data)

    @extend_schema(
        request=ResidenceInputSerializer, responses={201: ResidenceSerializer, 200: ResidenceSerializer}
    )
    def create(self, request: Request) -> Response:
        data = ResidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = _visible(Person, request.user, values["person_id"], "person_id")
        building = _visible(Building, request.user, values["building_id"], "building_id")
        residence, created = services.residence_collect(
            person=person, building=building, room=values["room"], relation=values["relation"],
            since=values["since"], until=values["until"],
        )  # fmt: skip
        return Response(ResidenceSerializer(residence).data, status=201 if created else 200)

    @extend_schema(request=ResidenceEndSerializer, responses={200: ResidenceSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        """The person moved out."""
        data = ResidenceEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        residence = services.residence_end(residence=self.get_object(), until=data.validated_data["until"])
        return Response(ResidenceSerializer(residence).data)


def _uuid_or_404(given: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(given))
    except ValueError as exc:
        raise Http404 from exc


def _visible(model: type[Any], user: Any, record_id: uuid.UUID, field: str) -> Any:
    """A record a client names in its request, through the gate: a field error when not visible."""
    obj = visible_get(model, user, record_id)
    if obj is None:
        raise ValidationError({field: [_("No such record among those you may see.")]})
    return obj


@extend_schema(tags=["registry"])
class ReviewItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ReviewItem]
):
    """Possible duplicates waiting for a dispatcher's decision."""

    serializer_class = ReviewItemSerializer
    pagination_class = CursorPagination
    filterset_class = ReviewItemFilter
    permission_classes = [IsAdminOrDispatcher]

    def get_queryset(self) -> QuerySet[ReviewItem]:
        return visible(ReviewItem, self.request.user).select_related("grid")

    @extend_schema(request=ReviewDecisionSerializer, responses={200: ReviewItemSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        data = ReviewDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.review_decide(item=self.get_object(), actor=request.user, **data.validated_data)
        return Response(ReviewItemSerializer(item).data)


@extend_schema(tags=["registry"])
class MergeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[MergeEvent]):
    """Merge history; manual merges and their undoing (dispatchers, in their territory)."""

    serializer_class = MergeEventSerializer
    pagination_class = CursorPagination
    permission_classes = [IsAdminOrDispatcher]

    def get_queryset(self) -> QuerySet[MergeEvent]:
        return visible(MergeEvent, self.request.user)

    @extend_schema(request=MergeInputSerializer, responses={201: MergeEventSerializer})
    def create(self, request: Request) -> Response:
        data = MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        model = Building if values["record_type"] == RecordType.BUILDING else Person
        survivor = _visible(model, request.user, values["survivor_id"], "survivor_id")
        merged = _visible(model, request.user, values["merged_id"], "merged_id")
        event = services.record_merge(
            record_type=values["record_type"], survivor_id=survivor.pk, merged_id=merged.pk, actor=request.user,
            note=values["note"],
        )  # fmt: skip
        return Response(MergeEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MergeEventSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: Any = None) -> Response:
        """Unmerge: both records, their observations and residences are restored."""
        event = self.get_object()
        services.record_unmerge(event=event, actor=request.user)
        event.refresh_from_db()
        return Response(MergeEventSerializer(event).data)
