"""Researchers' pages: the waves with their counts and flows, the export form, the download list."""

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from studies.models import Wave
from studies.permissions import researcher_required
from studies.scoping import research_studies
from surveys.selectors import waves_with_counts

from .forms import ExportForm
from .models import ExportJob
from .selectors import export_job_downloadable, export_jobs_visible, wave_flow_cached
from .services import export_job_create, export_job_download


def _waves(user):
    return waves_with_counts(Wave.objects.filter(study__in=research_studies(user)))


def cached_flow(wave) -> list[dict]:
    """The default flow of a wave, cached until its data change (or its count of exported rows does)."""
    return wave_flow_cached(wave=wave)


@researcher_required
def wave_list(request):
    """Every wave of the user's studies with its counts and its cleaning flow."""
    waves = list(_waves(request.user))
    for wave in waves:
        wave.flow = cached_flow(wave) if wave.submitted else []
    return render(request, "exports/waves.html", {"waves": waves})


@researcher_required
@require_http_methods(["GET", "POST"])
def export_form(request, wave_id: int):
    wave = get_object_or_404(_waves(request.user), pk=wave_id)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        options = form.options()
        target = {"study": wave.study} if options["panel"] else {"wave": wave}
        export_job_create(user=request.user, options=options, **target)
        messages.success(request, _("The export has started. It appears in the list below when it is ready."))
        return redirect("exports:downloads")
    return render(request, "exports/form.html", {"wave": wave, "form": form, "flow": cached_flow(wave) if wave.submitted else []})


@researcher_required
def downloads(request):
    jobs = list(export_jobs_visible(request.user)[:100])
    for job in jobs:
        job.downloadable = export_job_downloadable(job)
    busy = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)
    return render(request, "exports/downloads.html", {"jobs": jobs, "busy": busy})


@researcher_required
def progress(request, pk: int):
    job = get_object_or_404(export_jobs_visible(request.user), pk=pk)
    return JsonResponse({"id": job.pk, "status": job.status, "progress": job.progress, "rows": job.row_count})


@researcher_required
def download(request, pk: int):
    job = get_object_or_404(export_jobs_visible(request.user), pk=pk)
    if not export_job_downloadable(job):
        raise Http404(_("This export is not ready or has expired."))
    return FileResponse(export_job_download(job=job, user=request.user), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])
