"""Staff screens: the catalogue, routing rules (validated, with a "where would this point go?" check),
calendar overrides, events on a map with their timeline, and the triage queue."""

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from apps.core.admin import HistoryInline
from apps.core.geo.crs import Crs, to_wgs84

from .models import (
    CalendarOverride,
    Event,
    EventCategory,
    EventFamily,
    EventReport,
    RoutingRule,
    Status,
    TimelineEntry,
    TriageEvent,
)
from .routing import route_event
from .services import routing_rule_problems, routing_rule_save


def routing_in_words(routing: dict[str, Any]) -> str:
    """The last routing decision as a sentence: where it went, by which rule, and why."""
    if not routing:
        return str(_("Not routed yet."))
    reason = str(routing.get("reason", ""))
    if routing.get("triage"):
        return str(_("Sent to triage for a dispatcher to route (level %(level)s, grid %(grid)s): %(reason)s")) % {
            "level": routing.get("level") or "-", "grid": routing.get("grid") or "-", "reason": reason,
        }  # fmt: skip
    matched = _("its category") if routing.get("matched_on") == "category" else _("its family")
    return str(
        _("Routed to %(department)s by the rule for %(matched)s at %(level)s level covering %(node)s "
          "(grid %(grid)s): %(reason)s")
    ) % {
        "department": routing.get("department") or "-", "matched": matched, "level": routing.get("level") or "-",
        "node": routing.get("node") or "-", "grid": routing.get("grid") or "-", "reason": reason,
    }  # fmt: skip


@admin.register(EventFamily)
class EventFamilyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(EventCategory)
class EventCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "default_level", "sign_hours", "handle_days", "self_resolvable",
                    "duplicate_radius_m", "duplicate_window_hours", "is_active"]  # fmt: skip
    list_filter = ["family", "default_level", "is_active"]
    search_fields = ["code", "name", "name_en"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj else []  # codes are stable: devices and departments use them


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["category", "family", "level", "node", "department", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if all(data.get(name) for name in ("level", "node", "department")):
            problems = routing_rule_problems(
                category=data.get("category"), family=data.get("family"), level=data["level"], node=data["node"],
                department=data["department"], exclude_pk=self.instance.pk,
            )  # fmt: skip
            for field, messages in problems.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


class RouteCheckForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=EventCategory.objects.filter(is_active=True), label=_("category")
    )
    lon = forms.FloatField(label=_("longitude"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("latitude"), min_value=-90, max_value=90)
    crs = forms.ChoiceField(choices=[(c.value, c.value) for c in Crs], initial=Crs.WGS84.value, label="CRS")
    level = forms.ChoiceField(choices=[("", "—"), *Event._meta.get_field("level").choices], required=False,  # type: ignore[misc]
                              label=_("handling level"))  # fmt: skip


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["__str__", "category", "family", "level", "node", "department"]
    list_filter = ["level", "family", "department"]
    search_fields = ["node__code", "department__code", "category__code"]
    raw_id_fields = ["node", "department"]
    list_select_related = ["category", "family", "node", "department"]

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        routing_rule_save(level=obj.level, node=obj.node, department=obj.department, category=obj.category,
                          family=obj.family, note=obj.note, rule=obj if change else None)  # fmt: skip

    def get_urls(self) -> list[URLPattern]:
        check = path("check/", self.admin_site.admin_view(self.route_check), name="events_routingrule_check")
        return [check, *super().get_urls()]

    def route_check(self, request: HttpRequest) -> HttpResponse:
        form = RouteCheckForm(request.POST or None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            lon, lat = to_wgs84(form.cleaned_data["lon"], form.cleaned_data["lat"], form.cleaned_data["crs"])
            placement, route = route_event(category=form.cleaned_data["category"], lon=lon, lat=lat,
                                           level=form.cleaned_data["level"] or None)  # fmt: skip
            context |= {"route": route, "placement": placement,
                        "explanation_json": json.dumps(route.explanation, ensure_ascii=False, indent=2)}  # fmt: skip
        return TemplateResponse(request, "admin/events/route_check.html", context)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


TIMELINE_FIELDS = (
    "at",
    "action",
    "from_status",
    "to_status",
    "actor",
    "actor_department",
    "actor_label",
    "note",
)
REPORT_FIELDS = ("reported_at", "reporter", "category", "title", "distance_m", "is_original", "submitted_id")


class TimelineInline(HistoryInline):
    model = TimelineEntry
    fields = readonly_fields = TIMELINE_FIELDS


class ReportInline(HistoryInline):
    model = EventReport
    fields = readonly_fields = REPORT_FIELDS


@admin.register(Event)
class EventAdmin(GISModelAdmin):
    """Events are changed through their actions (API), never edited in place: the admin shows them."""

    list_display = ["title", "category", "status", "level", "department", "grid", "overdue", "report_count",
                    "reported_at", "sign_by", "handle_by"]  # fmt: skip
    list_filter = ["status", "overdue", "level", "category__family", "department"]
    search_fields = ["title", "description", "department__code", "grid__code"]
    date_hierarchy = "reported_at"
    inlines = [ReportInline, TimelineInline]
    list_select_related = ["category", "department", "grid"]
    gis_widget_kwargs = {"attrs": {"default_zoom": 14, "default_lon": 118.03, "default_lat": 24.50}}
    exclude = ["routing"]  # shown in words (``routing_in_words``), not as its JSON

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The routing decision is shown in words, not as the JSON it is kept in.
        return ["routing_in_words" if field.name == "routing" else field.name for field in Event._meta.fields]

    @admin.display(description=_("routing"))
    def routing_in_words(self, obj: Event) -> str:
        return routing_in_words(obj.routing)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TriageEvent)
class TriageEventAdmin(EventAdmin):
    list_display = [
        "title",
        "category",
        "status",
        "level",
        "grid",
        "return_count",
        "reported_at",
        "routing_reason",
    ]
    list_filter = ["status", "category__family"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).filter(department__isnull=True,
                                                    status__in=[Status.REPORTED, Status.ACCEPTED])  # fmt: skip

    @admin.display(description=_("why"))
    def routing_reason(self, obj: Event) -> str:
        return str(obj.routing.get("reason", ""))
