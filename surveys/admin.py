from django.contrib import admin

from .models import AccessCode, InstrumentVersion, Respondent, Response, School, SchoolClass, Score, Study, Wave


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "created_at"]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["study", "code", "instrument", "is_open", "data_changed_at"]
    list_filter = ["study", "is_open"]


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "fingerprint", "created_at"]
    readonly_fields = ["fingerprint"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["study", "code", "name"]
    list_filter = ["study"]


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["school", "code", "name"]
    list_filter = ["school__study"]


@admin.register(Respondent)
class RespondentAdmin(admin.ModelAdmin):
    list_display = ["pid", "study", "school_class", "seat_number"]
    list_filter = ["study"]
    search_fields = ["pid"]
    exclude = ["display_name"]  # names stay on the school's pages (names never meet answers)


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
