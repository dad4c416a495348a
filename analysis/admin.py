from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AnalysisRun
from .services import analysis_run_cancel


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["id", "wave", "status", "progress", "trigger", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "wave__study"]
    search_fields = ["wave__code", "wave__study__code", "data_fingerprint"]
    date_hierarchy = "created_at"
    list_select_related = ["wave__study", "created_by"]
    exclude = ["results_json"]  # large: shown on the report page
    actions = ["cancel"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "results_json"]

    def has_add_permission(self, request):
        return False  # runs are started from the research pages, the API or the command line

    @admin.action(description=_("Cancel the selected queued or running runs"))
    def cancel(self, request, queryset):
        for run in queryset.filter(status__in=AnalysisRun.ACTIVE):
            analysis_run_cancel(run=run)
