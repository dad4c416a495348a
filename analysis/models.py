"""Analysis runs of a wave: what was read, with which code and parameters, and what came out.

A run is queued, then running, then succeeded, failed or cancelled. Only a
succeeded run is ever shown or exported, the latest one per wave; a run
that fails or is stopped leaves the previous results in place. A partial
unique constraint keeps at most one queued-or-running run per wave.
"""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studies.models import Wave


class AnalysisRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    class Failure(models.TextChoices):
        ERROR = "error", _("error")
        TIME_LIMIT = "time_limit", _("time limit")
        WORKER_LOST = "worker_lost", _("worker lost")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="analysis_runs")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    instrument_version = models.CharField(_("instrument version"), max_length=40, blank=True)
    data_fingerprint = models.CharField(_("data fingerprint"), max_length=64, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), null=True, blank=True)
    # The wave's data_changed_at when the run was started: a later change calls for a new run.
    data_changed_at = models.DateTimeField(_("data changed at (seen)"), null=True, blank=True)
    code_version = models.CharField(_("code version"), max_length=100, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    message = models.CharField(_("message"), max_length=200, blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    # JSON as text, not jsonb: PostgreSQL's jsonb reorders object keys, and the
    # order of a table's columns (term, row, model1..4) is part of the result.
    results_json = models.TextField(_("results"), blank=True, default="")
    error = models.TextField(_("error"), blank=True)
    failure = models.CharField(_("failure"), max_length=12, choices=Failure.choices, blank=True)
    # Each claim by a worker increments ``attempt``; writes of an older attempt are ignored.
    attempt = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="analysis_runs"
    )
    trigger = models.CharField(_("started by"), max_length=12, default="user")  # user | schedule | command | api
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Pinned for a paper: exports and the API use this run of the wave until it is unpinned (analysis.pinning).
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="pinned_analysis_runs"
    )
    # Superseded and not pinned: its per-respondent rows were deleted (results and provenance stay).
    assignments_pruned_at = models.DateTimeField(_("assignments pruned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("analysis run")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_analysis_run_per_wave",
            ),
            models.UniqueConstraint(fields=["wave"], condition=models.Q(pinned_at__isnull=False), name="one_pinned_analysis_run_per_wave"),
        ]
        indexes = [models.Index(fields=["wave", "status", "-finished_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.wave} ({self.status})"

    @property
    def results(self) -> dict | None:
        return json.loads(self.results_json) if self.results_json else None

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class AnalysisAssignment(models.Model):
    """One respondent's derived values from a run: trajectory cluster (Study A), teacher's attitude (Study B)."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="assignments")
    pid = models.CharField(max_length=40)
    traj_cluster = models.PositiveSmallIntegerField(null=True, blank=True)
    traj_label = models.CharField(max_length=80, blank=True)
    tatt = models.FloatField(null=True, blank=True)
    # Status codes of years 1..12 ("1".."4"), for the sequence plots of the clustered rows.
    sequence = models.CharField(max_length=12, blank=True)

    class Meta:
        verbose_name = _("analysis assignment")
        constraints = [models.UniqueConstraint(fields=["run", "pid"], name="one_assignment_per_run_pid")]

    def __str__(self) -> str:
        return f"{self.pid}: {self.traj_label}"
