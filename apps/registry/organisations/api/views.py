"""Organisation (实有单位), employment, watch-rule and alert endpoints."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.permissions import HasRole, IsAdmin
from apps.core.visibility import visible, visible_get, visible_get_or_404
from apps.journal.models import AccessChannel
from apps.journal.services import access_entry, access_log
from apps.territory.models import TerritoryNode

from ...api.serializers import CollectResultSerializer
from ...api.views import (
    IF_MATCH,
    PlainRecordPagination,
    collect_meta,
    collect_response,
    crs_context,
    etag,
    expected_version,
)
from ...inputs import CollectMetaSerializer
from ...models import Person, RecordType
from ...selectors import observations_of
from .. import alerts, services
from ..filters import AlertFilter, EmploymentFilter, OrganisationFilter
from ..inputs import OrganisationDataSerializer
from ..models import Alert, Employment, Organisation, WatchRule
from ..selectors import rule_targets
from .serializers import (
    AlertSerializer,
    EmploymentEndSerializer,
    EmploymentInputSerializer,
    EmploymentSerializer,
    OrganisationCollectSerializer,
    OrganisationDetailSerializer,
    OrganisationSerializer,
    WatchRuleInputSerializer,
    WatchRuleSerializer,
)

CanCollect = HasRole.of("admin", "dispatcher", "grid_worker")
# What an organisation's detail reveals of its sensitive fields.
REVEALED = (("legal_rep_id_number", "legal_rep_id_number_sealed"), ("phone", "phone_sealed"))


def _log_revealed(user: Any, organisation: Organisation) -> None:
    fields = [name for name, column in REVEALED if getattr(organisation, column)]
    if fields:
        access_log([
            access_entry(channel=AccessChannel.REST, record_type=RecordType.ORGANISATION, record_id=organisation.pk,
                         fields=fields, user=user)
        ])  # fmt: skip


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@extend_schema(tags=["registry"])
class OrganisationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Organisation]):
    """Organisations (实有单位). Lists mask personal numbers; the detail shows them (and logs the read)."""

    serializer_class = OrganisationSerializer
    pagination_class = PlainRecordPagination
    filterset_class = OrganisationFilter

    def get_permissions(self) -> list[Any]:
        return [CanCollect()] if self.action in {"create", "partial_update"} else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Organisation]:
        return visible(Organisation, self.request.user).select_related("grid")

    def _get(self, pk: Any) -> Organisation:
        return visible_get_or_404(Organisation, self.request.user, _uuid(pk), self.get_queryset())

    @extend_schema(responses={200: OrganisationDetailSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        organisation = self._get(pk)
        _log_revealed(request.user, organisation)
        observations = observations_of(
            record_type=RecordType.ORGANISATION, record_id=organisation.pk
        ).select_related("collector")
        data = OrganisationDetailSerializer(
            organisation, context={"observations": observations, "reveal": True}
        ).data
        return Response(data, headers={"ETag": etag(organisation.version)})

    @extend_schema(
        request=OrganisationCollectSerializer,
        responses={
            201: CollectResultSerializer,
            200: OpenApiResponse(CollectResultSerializer, "Merged into an existing organisation."),
        },
        summary="Collect an organisation: created, or merged into the organisation it matches",
    )
    def create(self, request: Request) -> Response:
        data = OrganisationCollectSerializer(data=request.data, context=crs_context(request))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        outcome = services.organisation_collect(
            data=values, meta=collect_meta(request, values), payload=request.data
        )
        return collect_response(outcome)

    @extend_schema(
        parameters=[IF_MATCH],
        request=OrganisationDataSerializer,
        responses={200: OrganisationDetailSerializer},
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        version = expected_version(request)
        organisation = self._get(pk)
        meta_in = CollectMetaSerializer(data=request.data, context=crs_context(request), partial=True)
        meta_in.is_valid(raise_exception=True)
        fields = OrganisationDataSerializer(data=request.data, partial=True)
        fields.is_valid(raise_exception=True)
        changes = {k: v for k, v in fields.validated_data.items() if k in request.data}
        if "credit_code" in changes:
            changes["code_unverified"] = fields.validated_data.get("code_unverified", False)
        if "location" in meta_in.validated_data:
            changes["location"] = meta_in.validated_data["location"]
        organisation = services.organisation_update(
            organisation=organisation, changes=changes, expected_version=version,
            meta=collect_meta(request, meta_in.validated_data), payload=request.data,
        )  # fmt: skip
        data = OrganisationDetailSerializer(organisation, context={"observations": [], "reveal": True}).data
        return Response(data, headers={"ETag": etag(organisation.version)})


@extend_schema(tags=["registry"])
class EmploymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Employment]
):
    """Who works where (从业人员)."""

    serializer_class = EmploymentSerializer
    pagination_class = PlainRecordPagination
    filterset_class = EmploymentFilter

    def get_permissions(self) -> list[Any]:
        return [CanCollect()] if self.action in {"create", "end"} else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Employment]:
        return visible(Employment, self.request.user)

    def get_object(self) -> Employment:
        return visible_get_or_404(Employment, self.request.user, _uuid(self.kwargs["pk"]))

    @extend_schema(
        request=EmploymentInputSerializer, responses={201: EmploymentSerializer, 200: EmploymentSerializer}
    )
    def create(self, request: Request) -> Response:
        data = EmploymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = visible_get(Person, request.user, values["person_id"])
        organisation = visible_get(Organisation, request.user, values["organisation_id"])
        errors = {}
        if person is None:
            errors["person_id"] = [_("No such record among those you may see.")]
        if organisation is None:
            errors["organisation_id"] = [_("No such record among those you may see.")]
        if errors:
            raise ValidationError(errors)
        employment, created = services.employment_apply(
            person=person, organisation=organisation, role=values["role"], since=values["since"],
            until=values["until"], employment_id=values.get("id"), actor=request.user,
        )  # fmt: skip
        return Response(EmploymentSerializer(employment).data, status=201 if created else 200)

    @extend_schema(request=EmploymentEndSerializer, responses={200: EmploymentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        """The person stopped working there."""
        data = EmploymentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employment = services.employment_end(
            employment=self.get_object(), until=data.validated_data["until"], actor=request.user
        )
        return Response(EmploymentSerializer(employment).data)


@extend_schema(tags=["registry"])
class WatchRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[WatchRule]):
    """Watch rules (人来预警/人走提醒): administrators only; every change audited."""

    serializer_class = WatchRuleSerializer
    pagination_class = PlainRecordPagination
    permission_classes = [IsAdmin]

    def get_queryset(self) -> QuerySet[WatchRule]:
        return visible(WatchRule, self.request.user).select_related("department").prefetch_related("nodes")

    def get_object(self) -> WatchRule:
        return visible_get_or_404(WatchRule, self.request.user, _uuid(self.kwargs["pk"]), self.get_queryset())

    def _resolve(self, values: dict[str, Any]) -> tuple[Any, list[TerritoryNode]]:
        codes = values.pop("nodes")
        department, nodes = rule_targets(department_code=values.pop("department"), node_codes=codes)
        errors = {}
        if department is None:
            errors["department"] = [_("No such department.")]
        missing = sorted(set(codes) - {node.code for node in nodes})
        if missing:
            errors["nodes"] = [_("Unknown territory nodes: %(codes)s") % {"codes": ", ".join(missing)}]
        if errors:
            raise ValidationError(errors)
        return department, nodes

    @extend_schema(request=WatchRuleInputSerializer, responses={201: WatchRuleSerializer})
    def create(self, request: Request) -> Response:
        data = WatchRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        department, nodes = self._resolve(values)
        rule = alerts.watch_rule_create(department=department, nodes=nodes, actor=request.user, **values)
        return Response(WatchRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WatchRuleInputSerializer, responses={200: WatchRuleSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        rule = self.get_object()
        data = WatchRuleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k in request.data}
        nodes = None
        if "nodes" in values or "department" in values:
            values.setdefault("department", rule.department.code)
            values.setdefault("nodes", [node.code for node in rule.nodes.all()])
            department, nodes = self._resolve(values)
            if department.pk != rule.department_id:
                raise ValidationError(
                    {"department": [_("A rule's department cannot change; make a new rule.")]}
                )
        rule = alerts.watch_rule_update(rule=rule, actor=request.user, nodes=nodes, **values)
        return Response(WatchRuleSerializer(rule).data)


@extend_schema(tags=["registry"])
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Alert]):
    """Alerts of watch rules: the department's own (staff and systems), the grid's workers, a dispatcher's
    territory."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[Alert]:
        return visible(Alert, self.request.user)

    def get_object(self) -> Alert:
        return visible_get_or_404(Alert, self.request.user, _uuid(self.kwargs["pk"]), self.get_queryset())

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        alert = alerts.alert_acknowledge(alert=self.get_object(), principal=request.user)
        return Response(AlertSerializer(alert).data)
