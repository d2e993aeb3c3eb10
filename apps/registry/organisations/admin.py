"""Staff screens: organisations on a map (numbers masked), employments, watch rules with their audit, alerts."""

from typing import Any

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import unseal
from apps.core.identity import mask_id_number, mask_phone

from .models import Alert, Employment, Organisation, WatchRule, WatchRuleAudit


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyMixin, GISModelAdmin):
    """Organisations are changed through the API (validated, versioned); here they are shown, numbers masked."""

    list_display = [
        "name",
        "credit_code",
        "code_unverified",
        "kind",
        "status",
        "grid",
        "masked_phone",
        "merged_into",
    ]
    list_filter = ["kind", "status", "code_unverified", "grid__parent"]
    search_fields = ["name", "name_norm", "credit_code"]
    exclude = ["legal_rep_id_number_sealed", "legal_rep_id_number_index", "phone_sealed", "phone_index"]
    readonly_fields = ["masked_legal_rep_id_number", "masked_phone"]
    gis_widget_kwargs = {"attrs": {"default_zoom": 15, "default_lon": 118.03, "default_lat": 24.50}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return super().get_queryset(request).select_related("grid", "merged_into")

    @admin.display(description=_("legal representative's ID number"))
    def masked_legal_rep_id_number(self, obj: Organisation) -> str:
        sealed = obj.legal_rep_id_number_sealed
        return mask_id_number(unseal(sealed)) if sealed else ""

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Organisation) -> str:
        return mask_phone(unseal(obj.phone_sealed)) if obj.phone_sealed else ""


@admin.register(Employment)
class EmploymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["person", "organisation", "role", "since", "until"]
    raw_id_fields = ["person", "organisation"]


class WatchRuleAuditInline(admin.TabularInline):
    model = WatchRuleAudit
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "at", "before", "after"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WatchRule)
class WatchRuleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Rules are granted through the API so that every change is audited; the admin shows them and their audit."""

    list_display = ["name", "department", "tags", "kinds", "is_active", "version"]
    list_filter = ["is_active", "department"]
    inlines = [WatchRuleAuditInline]


@admin.register(Alert)
class AlertAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["rule", "kind", "grid", "department", "at", "status"]
    list_filter = ["kind", "status", "department"]
    raw_id_fields = ["person", "residence", "building"]
