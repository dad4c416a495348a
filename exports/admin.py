from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "study", "wave", "status", "progress", "row_count", "fingerprint", "created_by", "created_at", "expires_at"]
    list_filter = ["status", "study"]
    readonly_fields = ["options", "flow", "fingerprint", "row_count", "file", "error", "started_at", "finished_at"]
    raw_id_fields = ["created_by"]
