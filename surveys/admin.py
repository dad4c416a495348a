from django.contrib import admin

from .models import AccessCode, Response, Score


@admin.register(AccessCode)
class AccessCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "respondent", "wave", "created_at", "revoked_at"]
    list_filter = ["wave"]
    raw_id_fields = ["respondent"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["respondent", "wave", "status", "current_section", "submitted_at", "duration_s"]
    list_filter = ["wave", "status"]
    raw_id_fields = ["respondent"]
    readonly_fields = ["answers", "submission_key"]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["response", "instrument_version", "scored_at"]
    raw_id_fields = ["response"]
    readonly_fields = ["values"]
