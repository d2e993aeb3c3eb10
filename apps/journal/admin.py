from typing import Any

from django.contrib import admin
from django.http import HttpRequest

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
        "record_id",
        "fields",
        "user_id",
        "department_id",
        "purpose",
    ]
    list_filter = ["channel", "record_type"]
    search_fields = ["record_id", "user_id", "department_id", "subscription_id"]
    date_hierarchy = "at"
