import uuid
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import AccessLogEntry, JournalEntry


class AppendOnlyAdmin(admin.ModelAdmin):
    """Read-only: append-only logs are shown, never changed."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(AppendOnlyAdmin):
    list_display = ["id", "txid", "record_type", "record_id", "change", "version", "grid_id", "at"]
    list_filter = ["record_type", "change"]
    search_fields = ["record_id"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AppendOnlyAdmin):
    list_display = [
        "at",
        "channel",
        "record_type",
        "record_count",
        "fields",
        "user_id",
        "department_id",
        "purpose",
    ]
    list_filter = ["channel", "record_type"]
    search_fields = ["user_id", "department_id", "subscription_id"]

    @admin.display(description=_("records"))
    def record_count(self, entry: AccessLogEntry) -> int:
        return len(entry.record_ids)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AccessLogEntry], search_term: str
    ) -> tuple[QuerySet[AccessLogEntry], bool]:
        """A record's id finds every read that included it (besides the reader and department ids)."""
        try:
            record_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        found, duplicates = super().get_search_results(request, queryset, search_term)
        return found | queryset.filter(record_ids__contains=[record_id]), duplicates

    date_hierarchy = "at"
