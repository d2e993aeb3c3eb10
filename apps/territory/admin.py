from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from .models import GridAssignment, TerritoryNode


class ChildInline(admin.TabularInline):
    model = TerritoryNode
    fk_name = "parent"
    fields = ["code", "name", "level"]
    readonly_fields = ["code", "name", "level"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(TerritoryNode)
class TerritoryNodeAdmin(GISModelAdmin):
    list_display = ["code", "name", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["path", "created_at", "updated_at"]
    raw_id_fields = ["parent"]
    inlines = [ChildInline]
    gis_widget_kwargs = {"attrs": {"default_zoom": 12, "default_lon": 118.03, "default_lat": 24.52}}


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ["worker", "grid", "valid_from", "valid_to"]
    list_filter = ["valid_to"]
    search_fields = ["worker__username", "grid__code", "grid__name"]
    raw_id_fields = ["worker", "grid", "created_by"]
    date_hierarchy = "valid_from"
