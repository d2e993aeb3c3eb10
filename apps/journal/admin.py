from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Read-only: the journal is append-only."""

    list_display = ["id", "txid", "record_type", "record_id", "change", "version", "grid_id", "at"]
    list_filter = ["record_type", "change"]
    search_fields = ["record_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
