from django.contrib import admin

from .models import Department, DepartmentMembership


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "jurisdiction", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["jurisdiction", "parent"]
    inlines = [MembershipInline]
