"""Registry endpoints: buildings (GeoJSON), people, residences, the review queue and merges."""

import re
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.crypto import blind_index_candidates
from apps.core.errors import PreconditionRequired
from apps.core.pagination import CursorPagination, GeoJsonCursorPagination
from apps.core.permissions import HasRole, IsAdminOrDispatcher
from apps.journal.models import AccessChannel

from .. import selectors, services
from ..filters import BuildingFilter, PersonFilter, ResidenceFilter, ReviewItemFilter
from ..models import Building, MergeEvent, Person, RecordType, Residence, ReviewItem
from ..services import CollectOutcome, ObservationMeta
from .serializers import (
    BuildingCollectSerializer,
    BuildingDataSerializer,
    BuildingDetailSerializer,
    BuildingFeatureSerializer,
    CollectMetaSerializer,
    CollectResultSerializer,
    MergeEventSerializer,
    MergeInputSerializer,
    PersonCollectSerializer,
    PersonDataSerializer,
    PersonDetailSerializer,
    PersonSearchSerializer,
    PersonSerializer,
    ResidenceEndSerializer,
    ResidenceInputSerializer,
    ResidenceSerializer,
    ReviewDecisionSerializer,
    ReviewItemSerializer,
)

CanCollect = HasRole.of("admin", "dispatcher", "grid_worker")
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description='The ETag, e.g. "3".'
)
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def expected_version(request: Request) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    found = _ETAG.match(header.strip())
    if not found:
        raise ValidationError({"If-Match": [_('Expected the ETag, e.g. "3".')]})
    return int(found.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


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
    return Response(
        CollectResultSerializer(body).data,
        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        headers={"ETag": etag(outcome.record.version)},
    )


def crs_context(request: Request) -> dict[str, Any]:
    crs = request.data.get("crs", "wgs84") if isinstance(request.data, dict) else "wgs84"
    # An invalid crs is reported by the serializer's own field; here it only must not break conversion.
    return {"crs": crs if isinstance(crs, str) and crs in {"wgs84", "gcj02", "bd09"} else "wgs84"}


class CanonicalLookupMixin:
    """Look records up by any id ever given to them (aliases), within the caller's visible records."""

    record_type: str
    request: Any
    kwargs: Any

    def get_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_object(self) -> Any:
        try:
            given = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError as exc:
            raise Http404 from exc
        canonical = selectors.resolve_alias(record_type=self.record_type, record_id=given) or given
        obj = self.get_queryset().filter(pk=canonical).first()
        if obj is None:
            raise Http404
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
    pagination_class = RecordPagination
    filterset_class = BuildingFilter
    serializer_class = BuildingFeatureSerializer

    def get_permissions(self) -> list[Any]:
        return [CanCollect()] if self.action in {"create", "partial_update"} else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Building]:
        return selectors.buildings_for(self.request.user).select_related("grid")

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
    pagination_class = PlainRecordPagination
    filterset_class = PersonFilter
    serializer_class = PersonSerializer

    def get_permissions(self) -> list[Any]:
        if self.action in {"create", "partial_update", "search"}:
            return [CanCollect()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.people_for(self.request.user).select_related("grid")

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
        index_field = {
            "id_number": "id_number_index",
            "phone": "phone_index",
            "passport_number": "passport_index",
        }[field]
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
        return selectors.residences_for(self.request.user)

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
        person = _visible(
            selectors.people_for(request.user), RecordType.PERSON, values["person_id"], "person_id"
        )
        building = _visible(
            selectors.buildings_for(request.user), RecordType.BUILDING, values["building_id"], "building_id"
        )
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


def _visible(queryset: QuerySet[Any], record_type: str, record_id: uuid.UUID, field: str) -> Any:
    canonical = selectors.resolve_alias(record_type=record_type, record_id=record_id) or record_id
    obj = queryset.filter(pk=canonical).first()
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
        return selectors.reviews_for(self.request.user).select_related("grid")

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
        return selectors.merges_for(self.request.user)

    @extend_schema(request=MergeInputSerializer, responses={201: MergeEventSerializer})
    def create(self, request: Request) -> Response:
        data = MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        queryset = (
            selectors.buildings_for(request.user)
            if values["record_type"] == RecordType.BUILDING
            else selectors.people_for(request.user)
        )
        survivor = _visible(queryset, values["record_type"], values["survivor_id"], "survivor_id")
        merged = _visible(queryset, values["record_type"], values["merged_id"], "merged_id")
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
