"""Runs for a paper: pin a run so that exports and the API keep using it; prune what nobody uses.

The run *in use* for a wave (``analysis.selectors.run_in_use``) is its pinned
run, else its latest succeeded run. Pinning another run of the wave moves
the pin (one pinned run per wave, a database constraint). Assignments (the
per-respondent rows) of succeeded runs that are neither pinned nor the
latest are deleted by a periodic task once their successor has been there
for ``ANALYSIS_PRUNE_AFTER_HOURS`` (default 24), so that a run just
superseded can still be pinned; the run itself, its results and provenance
stay.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AnalysisAssignment, AnalysisRun
from .selectors import run_in_use, run_provenance


class PinError(ValueError):
    pass


def prune_after() -> timedelta:
    return timedelta(hours=getattr(settings, "ANALYSIS_PRUNE_AFTER_HOURS", 24))


@transaction.atomic
def analysis_run_pin(*, run: AnalysisRun, user) -> AnalysisRun:
    """Pin ``run`` (a succeeded run whose assignments are kept); the wave's previous pin, if any, is lifted."""
    run = AnalysisRun.objects.select_for_update().get(pk=run.pk)
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise PinError(_("Only a succeeded run can be pinned."))
    if run.assignments_pruned_at is not None:
        raise PinError(_("The per-respondent rows of this run were pruned; it can no longer be pinned."))
    if run.pinned_at is not None:
        return run
    AnalysisRun.objects.filter(wave_id=run.wave_id, pinned_at__isnull=False).update(pinned_at=None, pinned_by=None)
    run.pinned_at = timezone.now()
    run.pinned_by = user if user is not None and user.is_authenticated else None
    run.save(update_fields=["pinned_at", "pinned_by"])
    return run


def analysis_run_unpin(*, run: AnalysisRun) -> AnalysisRun:
    AnalysisRun.objects.filter(pk=run.pk).update(pinned_at=None, pinned_by=None)
    run.refresh_from_db()
    return run


def analysis_assignments_prune(*, now=None) -> dict[int, int]:
    """Delete the assignments of superseded, unpinned runs; returns ``{run id: rows deleted}``."""
    now = now or timezone.now()
    latest = (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED)
        .values("wave_id")
        .annotate(latest_finished=Max("finished_at"))
    )
    pruned: dict[int, int] = {}
    for row in latest:
        if row["latest_finished"] is None or row["latest_finished"] > now - prune_after():
            continue
        newest = (
            AnalysisRun.objects.filter(wave_id=row["wave_id"], status=AnalysisRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        superseded = AnalysisRun.objects.filter(
            wave_id=row["wave_id"], status=AnalysisRun.Status.SUCCEEDED, pinned_at__isnull=True, assignments_pruned_at__isnull=True
        ).exclude(pk=newest)
        for run_id in list(superseded.values_list("pk", flat=True)):
            with transaction.atomic():  # the row lock orders this with a pin of the same run
                locked = superseded.select_for_update().filter(pk=run_id).first()
                if locked is None:
                    continue
                deleted, _counts = AnalysisAssignment.objects.filter(run_id=run_id).delete()
                AnalysisRun.objects.filter(pk=run_id).update(assignments_pruned_at=now)
            pruned[run_id] = deleted
    return pruned


def export_bundle_add_run(*, path: Path, wave, stem: str) -> AnalysisRun | None:
    """Write which run fed an export (``STEM_analysis_run.json``) into its zip; returns that run (None without one)."""
    run = run_in_use(wave) if wave is not None else None  # a panel: each wave its own run, not recorded here
    if run is not None:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stem}_analysis_run.json", json.dumps(run_provenance(run), indent=2))
    return run
