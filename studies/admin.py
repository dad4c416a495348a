"""Admin pages of studies, schools, classes, respondents and roles; role changes go through the audited services."""

from django.contrib import admin

from common.audit import audit_record

from . import services
from .models import InstrumentVersion, Membership, Respondent, School, SchoolClass, Study, StudyPolicy, Wave


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "study", "school", "school_class", "created_at"]
    list_filter = ["role", "study"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="membership.change" if change else "membership.create",
            target=str(obj),
            study=obj.study,
            details={"user": obj.user_id, "role": obj.role},
        )

    def delete_model(self, request, obj):
        services.membership_delete(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_delete(actor=request.user, membership=membership)


@admin.register(StudyPolicy)
class StudyPolicyAdmin(admin.ModelAdmin):
    list_display = ["study", "require_guardian_consent", "teachers_see_follow_up", "escalation_minutes"]
