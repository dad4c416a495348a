"""Admin pages of safeguarding rules, alerts (with their follow-up) and consent."""

from django.contrib import admin

from .models import Alert, AlertFollowUp, GuardianConsent, SafeguardingRule


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
