"""Shapes of event output and of the requests only REST makes (the report and action data are in ``inputs``)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from apps.core.geo.crs import Crs
from apps.departments.models import DepartmentLevel
from apps.registry.inputs import PointInputField

from ..models import Event, EventCategory, EventNotice, EventReport, TimelineEntry

REPORT_OUTCOMES = [("created", "created"), ("merged", "merged")]


class EventReportResultSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The event's id (the existing event's when merged).")
    outcome = serializers.ChoiceField(choices=REPORT_OUTCOMES)
    version = serializers.IntegerField()
    status = serializers.CharField()
    merged_into = serializers.UUIDField(allow_null=True)
    submitted_id = serializers.UUIDField()
    routing = serializers.JSONField()
    match = serializers.JSONField(allow_null=True)


class EventFeatureSerializer(GeoFeatureModelSerializer):
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    family = serializers.CharField(source="category.family_id", read_only=True)
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    location = GeometryField(read_only=True, precision=7)
    suspended = serializers.SerializerMethodField()

    class Meta:
        model = Event
        geo_field = "location"
        id_field = "id"
        fields = [
            "id", "version", "category", "family", "title", "description", "status", "level", "department", "grid",
            "building", "person_ids", "photos", "priority", "report_count", "occurred_at", "reported_at", "reporter",
            "dispatched_at", "sign_by", "signed_at", "handle_by", "handled_at", "closed_at", "suspended", "overdue",
            "return_count", "rework_count", "escalation_count", "reminder_count", "self_resolved", "rating", "routing",
            "source", "location", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.BooleanField())
    def get_suspended(self, obj: Event) -> bool:
        return obj.suspended_at is not None


class TimelineEntrySerializer(serializers.ModelSerializer[TimelineEntry]):
    actor_department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "action", "from_status", "to_status", "actor", "actor_department", "actor_label", "at", "note",
                  "photos", "data"]  # fmt: skip


class EventReportSerializer(serializers.ModelSerializer[EventReport]):
    location = GeometryField(read_only=True, precision=7)

    class Meta:
        model = EventReport
        fields = ["id", "submitted_id", "reporter", "reported_at", "category", "title", "description", "location",
                  "photos", "distance_m", "is_original"]  # fmt: skip


class EventDetailSerializer(EventFeatureSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    reports = EventReportSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(EventFeatureSerializer.Meta):
        fields = [*EventFeatureSerializer.Meta.fields, "allowed_actions", "timeline", "reports"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Event) -> list[str]:
        return list(self.context.get("allowed_actions", []))


class EventSplitInputSerializer(serializers.Serializer[Any]):
    report_id = serializers.UUIDField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EventCategorySerializer(serializers.ModelSerializer[EventCategory]):
    family_name = serializers.CharField(source="family.name", read_only=True)

    class Meta:
        model = EventCategory
        fields = ["code", "family", "family_name", "name", "name_en", "default_level", "sign_hours", "handle_days",
                  "self_resolvable", "duplicate_radius_m", "duplicate_window_hours", "is_active"]  # fmt: skip


class EventNoticeSerializer(serializers.ModelSerializer[EventNotice]):
    class Meta:
        model = EventNotice
        fields = ["id", "event", "kind", "payload", "created_at"]


class RoutePreviewInputSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(max_length=48)
    location = PointInputField()
    crs = serializers.ChoiceField(choices=[c.value for c in Crs], default=Crs.WGS84.value)
    level = serializers.ChoiceField(choices=DepartmentLevel.choices, required=False)


class RoutePreviewSerializer(serializers.Serializer[Any]):
    triage = serializers.BooleanField()
    department = serializers.CharField(allow_null=True)
    level = serializers.CharField()
    explanation = serializers.JSONField()
