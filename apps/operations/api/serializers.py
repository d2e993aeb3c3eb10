"""Shapes of operations input and output over REST (the data validators themselves are in ``inputs.py``)."""

from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from apps.registry.inputs import ObservedAtField

from ..inputs import PatrolDataSerializer, TaskDeviceUpdateSerializer, VisitDataSerializer
from ..models import (
    CheckIn,
    CheckMethod,
    Patrol,
    PatrolPoint,
    PointSchedule,
    SubjectType,
    Task,
    TaskKind,
    TaskNotice,
    Visit,
)

FIGURES = ("fix_count", "fixes_used", "distance_m", "moving_s", "idle_s", "inside_s", "effective_s", "flagged_s",
           "buildings_passed", "checkin_count")  # fmt: skip


@extend_schema_field({"type": "object", "description": "GeoJSON Point [longitude, latitude] in WGS84."})
class OperationsPointField(serializers.Field):
    def to_internal_value(self, data: Any) -> Point:
        coordinates = (
            data.get("coordinates") if isinstance(data, dict) and data.get("type") == "Point" else None
        )
        if (
            not isinstance(coordinates, list) or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
            or not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90)
        ):  # fmt: skip
            raise serializers.ValidationError(_("Expected a GeoJSON Point [longitude, latitude]."))
        return Point(float(coordinates[0]), float(coordinates[1]), srid=4326)

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(value.x, 7), round(value.y, 7)]}


class PatrolFeatureSerializer(GeoFeatureModelSerializer):
    """A patrol on the map: its simplified track (``path``) and figures."""

    grids: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Patrol
        geo_field = "path"
        fields = ("id", "version", "worker", "kind", "started_at", "ended_at", "grids", *FIGURES, "flags")


class PatrolDetailSerializer(serializers.ModelSerializer[Patrol]):
    grids: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    stale = serializers.SerializerMethodField(help_text="Chunks arrived since the figures were derived.")

    class Meta:
        model = Patrol
        fields = ("id", "version", "worker", "kind", "started_at", "ended_at", "grids", "note", "device_id",
                  *FIGURES, "flags", "derived_version", "derived_at", "stale", "created_at", "updated_at")  # fmt: skip

    def get_stale(self, patrol: Patrol) -> bool:
        return patrol.derived_version < patrol.version


class PatrolCreateInputSerializer(PatrolDataSerializer):
    """A patrol's start (and first chunk) over REST; the id is made on the device."""

    id = serializers.UUIDField()
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"], default="wgs84")


class PatrolChunkInputSerializer(PatrolDataSerializer):
    """A further chunk of a patrol's track (and any changed fields, e.g. ``ended_at``)."""

    started_at = ObservedAtField(required=False)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"], default="wgs84")


class AppliedSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    version = serializers.IntegerField()


class TrackFeatureSerializer(serializers.Serializer[Any]):
    """The derived track as a GeoJSON Feature; ``properties.times`` are the vertices' times (M, ISO 8601)."""

    type = serializers.CharField()
    geometry = serializers.JSONField()
    properties = serializers.JSONField()


class CheckInSerializer(serializers.ModelSerializer[CheckIn]):
    location = OperationsPointField(read_only=True)

    class Meta:
        model = CheckIn
        fields = ("id", "point", "patrol", "worker", "t", "location", "accuracy_m", "method", "photo", "distance_m",
                  "counted", "reason")  # fmt: skip


class PatrolPointFeatureSerializer(GeoFeatureModelSerializer):
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PatrolPoint
        geo_field = "location"
        fields = ("id", "version", "grid", "name", "radius_m", "methods", "schedule", "active")


class PatrolPointInputSerializer(serializers.Serializer[Any]):
    grid = serializers.CharField(max_length=32, help_text="Grid code.")
    name = serializers.CharField(max_length=100)
    location = OperationsPointField()
    radius_m = serializers.FloatField(min_value=5, max_value=1000, default=30)
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=CheckMethod.choices),
        min_length=1,
        max_length=4,
        default=["gps"],
    )
    schedule = serializers.ChoiceField(choices=PointSchedule.choices, default=PointSchedule.DAILY)
    active = serializers.BooleanField(default=True)


class MissedCheckSerializer(serializers.Serializer[Any]):
    point_id = serializers.UUIDField()
    name = serializers.CharField()
    grid_code = serializers.CharField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class MissedQuerySerializer(serializers.Serializer[Any]):
    since = serializers.DateField()
    until = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": [_("Must not be before since.")]})
        if (attrs["until"] - attrs["since"]).days > 366:
            raise serializers.ValidationError({"until": [_("At most a year at a time.")]})
        return attrs


class VisitSerializer(serializers.ModelSerializer[Visit]):
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = OperationsPointField(read_only=True)
    building_id = serializers.UUIDField(read_only=True, allow_null=True)
    task_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = ("id", "version", "worker", "kind", "grid", "building_id", "room", "organisation_id", "person_ids",
                  "location", "started_at", "ended_at", "outcome", "notes", "photos", "task_id", "event_ids",
                  "created_at")  # fmt: skip


class VisitCreateInputSerializer(VisitDataSerializer):
    id = serializers.UUIDField(
        required=False, help_text="Id made on the device; the server makes one otherwise."
    )


class SubjectSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=SubjectType.choices)
    id = serializers.UUIDField()


class TaskSerializer(serializers.ModelSerializer[Task]):
    grid: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject = serializers.SerializerMethodField()
    completed_by = serializers.UUIDField(source="completed_by_id", read_only=True, allow_null=True)
    alert = serializers.UUIDField(
        source="alert_id", read_only=True, allow_null=True, help_text="The watch alert this task follows up."
    )

    class Meta:
        model = Task
        fields = ("id", "version", "kind", "title", "due", "subject", "grid", "status", "note", "source", "rule",
                  "alert", "overdue", "completed_by", "closed_at", "created_at")  # fmt: skip

    @extend_schema_field(SubjectSerializer)
    def get_subject(self, task: Task) -> dict[str, Any]:
        return {"type": task.subject_type, "id": str(task.subject_id)}


class TaskCreateInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=TaskKind.choices, default=TaskKind.VISIT)
    title = serializers.CharField(max_length=200)
    due = serializers.DateField()
    subject = SubjectSerializer()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TaskStatusInputSerializer(TaskDeviceUpdateSerializer):
    pass


class TaskNoticeSerializer(serializers.ModelSerializer[TaskNotice]):
    task = TaskSerializer(read_only=True)

    class Meta:
        model = TaskNotice
        fields = ("id", "kind", "task", "created_at", "read_at")
