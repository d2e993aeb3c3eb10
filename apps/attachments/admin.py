from django.contrib import admin

from .models import Attachment, AttachmentReference


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["sha256", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = ["sha256", "content_type", "size", "storage_name", "uploaded_by", "created_at"]


@admin.register(AttachmentReference)
class AttachmentReferenceAdmin(admin.ModelAdmin):
    list_display = ["attachment_sha256", "record_type", "record_id", "grid_id", "created_at"]
    search_fields = ["attachment_sha256", "record_id"]
