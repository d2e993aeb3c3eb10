from django.contrib import admin

from .models import AppliedMutation, ConflictItem


@admin.register(ConflictItem)
class ConflictItemAdmin(admin.ModelAdmin):
    list_display = ["record_type", "record_id", "field", "status", "resolution", "created_at"]
    list_filter = ["status", "record_type"]
    readonly_fields = [f.name for f in ConflictItem._meta.fields]


@admin.register(AppliedMutation)
class AppliedMutationAdmin(admin.ModelAdmin):
    list_display = ["mutation_id", "user", "device_id", "created_at"]
    search_fields = ["mutation_id", "device_id"]
    readonly_fields = ["mutation_id", "user", "device_id", "body_hash", "result", "created_at"]
