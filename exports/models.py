"""An export of a wave (or a panel of a study's waves), built in the background and kept for download for a set time."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studies.models import Study, Wave


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    # One wave, or (a panel: ``options["panel"]``) every wave of ``study``; ``study`` is set in both cases.
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="export_jobs", null=True, blank=True)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="export_jobs", null=True, blank=True)
    options = models.JSONField(_("options"), default=dict)  # surveys.exports.ExportOptions.to_dict()
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, max_length=300)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    flow = models.JSONField(_("cleaning flow"), default=list, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    # The analysis run whose traj_cluster, traj_label and tatt the export carries (analysis.selectors.run_in_use).
    analysis_run = models.ForeignKey(
        "analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="export_jobs", verbose_name=_("analysis run")
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="export_jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.target} ({self.status})"

    def save(self, *args, **kwargs):
        """A job of one wave belongs to that wave's study: every read scopes exports by study."""
        if self.study_id is None and self.wave_id is not None:
            self.study_id = Wave.objects.filter(pk=self.wave_id).values_list("study_id", flat=True).get()
        super().save(*args, **kwargs)

    @property
    def panel(self) -> str:
        return (self.options or {}).get("panel", "")

    @property
    def target(self) -> str:
        """What was exported: "A 2021-01", or "A panel (long)"."""
        if self.panel:
            return f"{self.study.code} {_('panel')} ({self.panel})"
        return str(self.wave)

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
