"""Admin of operations: patrols on a map (the dispatcher's view, flagged ones first), points, visits, tasks."""

from typing import Any

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import CheckIn, Patrol, PatrolPoint, ScheduleRule, Task, TaskNotice, Visit


class FlaggedFilter(admin.SimpleListFilter):
    title = _("flagged")
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("flagged")), ("no", _("not flagged"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(flags=[])
        if self.value() == "no":
            return queryset.filter(flags=[])
        return queryset


class CheckInInline(admin.TabularInline):
    model = CheckIn
    extra = 0
    fields = ("point", "t", "method", "distance_m", "counted", "reason")
    readonly_fields = fields
    can_delete = False


@admin.register(Patrol)
class PatrolAdmin(GISModelAdmin):
    """A patrol's simplified track on the map, its figures and flags (read only: they derive from the fixes)."""

    list_display = ("started_at", "worker", "kind", "ended_at", "distance_m", "effective_s", "flags")
    list_filter = (FlaggedFilter, "kind", "started_at")
    search_fields = ("worker__username", "worker__full_name")
    date_hierarchy = "started_at"
    exclude = ("track",)
    readonly_fields = ("worker", "kind", "started_at", "ended_at", "grids", "note", "device_id", "fix_count",
                       "fixes_used", "distance_m", "moving_s", "idle_s", "inside_s", "effective_s", "flagged_s",
                       "buildings_passed", "checkin_count", "flags", "version", "derived_version", "derived_at")  # fmt: skip
    inlines = [CheckInInline]
    gis_widget_kwargs = {"attrs": {"default_zoom": 15}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patrol]:
        return super().get_queryset(request).defer("track").select_related("worker")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PatrolPoint)
class PatrolPointAdmin(GISModelAdmin):
    list_display = ("name", "grid", "schedule", "radius_m", "active")
    list_filter = ("schedule", "active")
    search_fields = ("name", "grid__code")
    raw_id_fields = ("grid",)


@admin.register(Visit)
class VisitAdmin(GISModelAdmin):
    list_display = ("started_at", "worker", "kind", "outcome", "grid")
    list_filter = ("kind", "outcome")
    raw_id_fields = ("worker", "building", "task", "grid")


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "subject_type", "tag", "period", "territory", "active")
    list_filter = ("period", "subject_type", "active")
    raw_id_fields = ("territory",)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "due", "status", "overdue", "source", "grid")
    list_filter = ("status", "overdue", "source", "kind")
    raw_id_fields = ("grid", "rule", "created_by", "accepted_by", "completed_by")


@admin.register(TaskNotice)
class TaskNoticeAdmin(admin.ModelAdmin):
    list_display = ("task", "recipient", "kind", "created_at", "read_at")
