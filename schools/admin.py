"""Admin pages of the schools app; membership changes go through the audited services."""

from django.contrib import admin

from . import services
from .models import Alert, AlertFollowUp, AuditEvent, GuardianConsent, Membership, SafeguardingRule, StudyPolicy


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "study", "school", "school_class", "created_at"]
    list_filter = ["role", "study"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.audit_record(
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


@admin.register(SafeguardingRule)
class SafeguardingRuleAdmin(admin.ModelAdmin):
    list_display = ["study", "name", "source", "code", "threshold", "is_active"]
    list_filter = ["study", "is_active"]


class FollowUpInline(admin.TabularInline):
    model = AlertFollowUp
    extra = 0
    readonly_fields = ["author", "note", "close", "created_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["pk", "study", "school", "school_class", "status", "created_at", "escalated_at"]
    list_filter = ["study", "status"]
    raw_id_fields = ["respondent", "response"]
    inlines = [FollowUpInline]


@admin.register(GuardianConsent)
class GuardianConsentAdmin(admin.ModelAdmin):
    list_display = ["respondent", "wave", "method", "decision", "decided_at"]
    list_filter = ["wave", "decision", "method"]
    raw_id_fields = ["respondent"]
    exclude = ["token"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target", "study"]
    list_filter = ["action", "study"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
