from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from .models import CategoryMapping, Channel, ChannelRequest, SensorAlarm, ServiceAttribute
from .services import channel_create


class CategoryMappingInline(admin.TabularInline):
    model = CategoryMapping
    extra = 1
    autocomplete_fields = ["category"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "prefix", "endpoint", "triage_category", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "prefix"]
    inlines = [CategoryMappingInline]
    readonly_fields = ["prefix"]

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new channel gets its account and key from the service; the key is shown once.
        created, key = channel_create(name=obj.name, kind=obj.kind, endpoint_id=obj.endpoint_id,
                                      triage_category=obj.triage_category_id or "")  # fmt: skip
        obj.pk, obj.prefix, obj.key_hash, obj.account_id = (
            created.pk,
            created.prefix,
            created.key_hash,
            created.account_id,
        )
        obj._state.adding = False
        messages.warning(request, f"Channel key (shown once): {key}")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "datatype", "required", "order"]
    list_filter = ["datatype", "required"]


@admin.register(ChannelRequest)
class ChannelRequestAdmin(admin.ModelAdmin):
    list_display = ["external_id", "channel", "event", "attached", "external_code", "created_at"]
    list_filter = ["channel"]
    search_fields = ["external_id", "token"]
    exclude = ["caller_name_sealed", "caller_phone_sealed"]
    readonly_fields = ["event", "channel"]


@admin.register(SensorAlarm)
class SensorAlarmAdmin(admin.ModelAdmin):
    list_display = ["sensor_id", "channel", "kind", "level", "at", "outcome"]
    list_filter = ["channel", "level", "outcome"]
    search_fields = ["sensor_id"]
