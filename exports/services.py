"""Exports: start one, build it (in a Celery task), keep it for a set time, then delete the file.

The building itself is ``surveys.exports.export_write``: rows streamed in
chunks, the flow of counts summed over the chunks (per wave for a panel).
Here the result is zipped with its documents (``exports.documents``: codebook,
flow, datapackage.json, R and Stata loaders) and stored as the job's file.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.utils import timezone

from analysis.pinning import export_bundle_add_run
from common.audit import audit_record
from common.errors import error_reference_logged
from common.outbox import enqueue
from studies.models import Study, Wave
from studies.scoping import is_study_wide

from .documents import bundle_write
from .engine import ExportOptions, ExportOptionsError, export_basename, export_write
from .models import ExportJob

logger = logging.getLogger(__name__)


def retention() -> timedelta:
    """How long a finished export stays for download (``EXPORT_RETENTION_HOURS``, default 72)."""
    return timedelta(hours=getattr(settings, "EXPORT_RETENTION_HOURS", 72))


def export_job_create(*, user, options: ExportOptions | dict, wave: Wave | None = None, study: Study | None = None) -> ExportJob:
    """Queue an export of ``wave``, or of a panel of ``study``; the task is sent after the transaction commits."""
    if isinstance(options, dict):
        options = ExportOptions.from_dict(options)
    if options.panel:
        if study is None:
            raise ExportOptionsError("a panel export needs a study")
        wave = None
    elif wave is None:
        raise ExportOptionsError("an export of one wave needs a wave")
    else:
        study = wave.study
    if not is_study_wide(user, study):
        raise PermissionDenied("only the study's researchers may export its data")
    job = ExportJob.objects.create(wave=wave, study=study, options=options.to_dict(), created_by=user)
    audit_record(
        actor=user, action="export.create", target=f"export {job.pk}", study=study,
        details={"wave": wave.code if wave else None, **job.options},
    )
    enqueue("exports.tasks.export_job_task", job_id=job.pk)  # after commit; kept in the outbox if the broker is down
    return job


def export_job_download(*, job: ExportJob, user):
    """The job's file, opened for a download by ``user`` (audited: who took which data out)."""
    audit_record(
        actor=user, action="export.download", target=f"export {job.pk}", study=job.study or job.wave.study,
        details={"wave": job.wave.code if job.wave else None, "file": job.file.name.rsplit("/", 1)[-1], "rows": job.row_count},
    )
    return job.file.open("rb")


def _set_progress(job_id: int, done: int, total: int) -> None:
    percent = 99 if total <= 0 else min(99, int(100 * done / total))
    ExportJob.objects.filter(pk=job_id).update(progress=percent)


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the export of a job (a redelivered task finds a finished job and does nothing)."""
    job = ExportJob.objects.select_related("wave__study", "wave__instrument", "study").get(pk=job_id)
    if job.status in (ExportJob.Status.DONE, ExportJob.Status.EXPIRED):
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=timezone.now(), progress=0, error="")
    options = ExportOptions.from_dict(job.options)
    study = job.study or job.wave.study
    stem = export_basename(job.wave, options, study=study)
    try:
        with tempfile.TemporaryDirectory(prefix="export-") as tmp:
            data = Path(tmp) / f"{stem}.{options.extension}"
            result = export_write(
                wave=job.wave, study=study, options=options, path=data,
                progress=lambda done, total: _set_progress(job.pk, done, total),
            )
            bundle = bundle_write(result, Path(tmp) / f"{stem}.zip", stem)
            job.analysis_run = export_bundle_add_run(path=bundle, wave=job.wave, stem=stem)  # which run fed it
            data.unlink()
            with open(bundle, "rb") as handle:
                job.file.save(f"{job.pk}_{stem}.zip", File(handle), save=False)
    except Exception:
        shown = error_reference_logged(logger, "The export failed; the administrators can look it up in the log.", f"export {job.pk} failed")
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=shown, finished_at=timezone.now())
        job.refresh_from_db()
        return job
    now = timezone.now()
    job.status = ExportJob.Status.DONE
    job.progress = 100
    job.row_count = result.row_count
    job.flow = result.flow
    job.fingerprint = result.fingerprint
    job.finished_at = now
    job.expires_at = now + retention()
    job.save(update_fields=["status", "progress", "row_count", "flow", "fingerprint", "analysis_run", "finished_at", "expires_at", "file"])
    return job


def export_jobs_cleanup(*, now=None) -> int:
    """Delete the files of exports past their time; the job stays (as expired) for the record."""
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now).iterator():
        if job.file:
            job.file.delete(save=False)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status", "file"])
        count += 1
    return count
