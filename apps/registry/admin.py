"""Staff screens: buildings on a map, people (numbers masked), the review queue, merge history."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import unseal
from apps.core.identity import mask_id_number, mask_phone

from .models import Building, MergeEvent, Observation, Person, Residence, ReviewItem, ReviewStatus
from .services import record_unmerge, review_decide


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Building)
class BuildingAdmin(GISModelAdmin):
    list_display = ["address", "name", "use", "floors", "grid", "version", "merged_into"]
    list_filter = ["use", "grid__parent"]
    search_fields = ["address", "address_norm", "address_code", "name"]
    readonly_fields = [
        "address_norm",
        "house_number",
        "block_number",
        "cell",
        "version",
        "alternatives",
        "merged_into",
    ]
    raw_id_fields = ["grid", "landlord"]
    gis_widget_kwargs = {"attrs": {"default_zoom": 15, "default_lon": 118.03, "default_lat": 24.50}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Building]:
        return super().get_queryset(request).select_related("grid")


@admin.register(Person)
class PersonAdmin(ReadOnlyMixin, GISModelAdmin):
    """People are changed through the API (validated, versioned); the admin shows them with masked numbers."""

    list_display = [
        "name",
        "gender",
        "birth_date",
        "masked_id_number",
        "masked_phone",
        "household_type",
        "grid",
    ]
    list_filter = ["household_type", "gender"]
    search_fields = ["name", "name_key"]
    exclude = [
        "id_number_sealed",
        "id_number_index",
        "phone_sealed",
        "phone_index",
        "passport_sealed",
        "passport_index",
    ]
    readonly_fields = [
        "masked_id_number",
        "masked_phone",
        "version",
        "alternatives",
        "merged_into",
        "cell",
        "name_key",
    ]
    raw_id_fields = ["grid"]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(unseal(obj.id_number_sealed)) if obj.id_number_sealed else ""

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(unseal(obj.phone_sealed)) if obj.phone_sealed else ""


@admin.register(Residence)
class ResidenceAdmin(admin.ModelAdmin):
    list_display = ["person", "building", "room", "relation", "since", "until"]
    list_filter = ["relation"]
    raw_id_fields = ["person", "building"]


@admin.register(Observation)
class ObservationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["record_type", "record_id", "collector", "collected_at", "outcome", "score"]
    list_filter = ["record_type", "outcome"]
    exclude = ["payload_sealed"]
    readonly_fields = [f.name for f in Observation._meta.fields if f.name != "payload_sealed"]


def _decide(decision: str) -> Any:
    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        done = 0
        for item in queryset.filter(status=ReviewStatus.OPEN):
            review_decide(item=item, decision=decision, actor=request.user)
            done += 1
        messages.success(request, _("%(count)d decided.") % {"count": done})

    action.__name__ = f"decide_{decision}"
    return admin.action(description=_("Merge") if decision == "merge" else _("Keep apart"))(action)


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["record_type", "record_id", "candidate_id", "score", "status", "grid", "created_at"]
    list_filter = ["status", "record_type"]
    readonly_fields = [f.name for f in ReviewItem._meta.fields]
    actions = [_decide("merge"), _decide("keep_apart")]


@admin.register(MergeEvent)
class MergeEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "record_type",
        "survivor_id",
        "merged_id",
        "automatic",
        "score",
        "actor",
        "created_at",
        "undone_at",
    ]
    list_filter = ["record_type", "automatic", "undone_at"]
    exclude = ["snapshot_sealed"]
    readonly_fields = [f.name for f in MergeEvent._meta.fields if f.name != "snapshot_sealed"]
    actions = ["undo"]

    @admin.action(description=_("Undo (unmerge)"))
    def undo(self, request: HttpRequest, queryset: QuerySet[MergeEvent]) -> None:
        for event in queryset.filter(undone_at__isnull=True).order_by("-created_at"):
            record_unmerge(event=event, actor=request.user)
        messages.success(request, _("Undone."))


from .organisations import admin as organisations_admin  # noqa: E402, F401 - registers its screens
