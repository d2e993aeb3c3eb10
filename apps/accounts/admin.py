from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, DeviceToken, User
from .services import api_key_create


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "territory", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["territory"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("gridapi"), {"fields": ("role", "full_name", "territory")}),
    )


@admin.action(description=_("Revoke the selected credentials"))
def revoke(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    messages.success(request, _("%(count)d revoked.") % {"count": count})


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "device_name",
        "device_id",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "device_id", "device_name", "prefix"]
    readonly_fields = [
        "user",
        "device_id",
        "device_name",
        "prefix",
        "expires_at",
        "last_seen_at",
        "revoked_at",
    ]
    actions = [revoke]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by signing in on a device


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "department", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["department", "revoked_at"]
    search_fields = ["name", "prefix", "department__code"]
    fields = ["department", "name", "expires_at", "prefix", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "last_used_at", "revoked_at"]
    raw_id_fields = ["department"]
    actions = [revoke]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_key_create(
            department=obj.department, name=obj.name, actor=request.user, expires_at=obj.expires_at
        )
        obj.pk, obj.prefix, obj.key_hash = issued.record.pk, issued.record.prefix, issued.record.key_hash
        obj._state.adding = False
        messages.warning(
            request, _("Copy the key now, it is not shown again: %(key)s") % {"key": issued.secret}
        )
