"""The Celery worker is killed in the middle of an analysis run."""

import contextlib
import os
import signal

import pytest
from django.core.management import call_command
from django.db import transaction

from analysis.models import AnalysisRun
from analysis.selectors import run_latest_succeeded, wave_derived_columns
from analysis.services import analysis_run_execute, analysis_run_start, runs_fail_stale
from studies.models import Wave
from tests.paths import REFERENCE_DIR
from tests.services.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def kill_worker(process) -> None:
    """SIGKILL the worker and its pool children, as the out-of-memory killer would."""
    children = [int(pid) for pid in os.popen(f"pgrep -P {process.pid}").read().split()]
    for pid in [process.pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


def test_killed_worker_leaves_previous_results_and_the_next_run_succeeds(request, settings):
    call_command("import_responses", str(REFERENCE_DIR / "cohort_1500.csv"), study="A", wave="2021-01")
    wave = Wave.objects.get(code="2021-01")
    first, _ = analysis_run_start(wave=wave, dispatch=False)
    assert analysis_run_execute(run_id=first.pk).status == AnalysisRun.Status.SUCCEEDED
    before = wave_derived_columns(wave)

    worker = request.getfixturevalue("celery_worker")
    with transaction.atomic():
        killed, _ = analysis_run_start(wave=wave)
    wait_until(lambda: AnalysisRun.objects.get(pk=killed.pk).status == AnalysisRun.Status.RUNNING, 60, message="the worker to start the run")
    kill_worker(worker)

    assert run_latest_succeeded(wave).pk == first.pk
    assert wave_derived_columns(wave).equals(before)
    settings.ANALYSIS_STALE_AFTER_S = 1
    wait_until(lambda: runs_fail_stale(wave=wave) == 1, 30, message="the lost run to be marked failed")
    lost = AnalysisRun.objects.get(pk=killed.pk)
    assert lost.status == AnalysisRun.Status.FAILED and lost.failure == AnalysisRun.Failure.WORKER_LOST
    assert run_latest_succeeded(wave).pk == first.pk

    request.getfixturevalue("celery_worker_again")
    with transaction.atomic():
        next_run, created = analysis_run_start(wave=wave)
    assert created
    wait_until(
        lambda: AnalysisRun.objects.get(pk=next_run.pk).status in (AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED),
        240,
        message="the next run to finish",
    )
    assert AnalysisRun.objects.get(pk=next_run.pk).status == AnalysisRun.Status.SUCCEEDED
    assert run_latest_succeeded(wave).pk == next_run.pk
