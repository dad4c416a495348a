"""Runs for a paper: a pinned run feeds exports and the API until unpinned; superseded unpinned runs are pruned."""

import json
import zipfile
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from analysis import tasks
from analysis.models import AnalysisAssignment, AnalysisRun
from analysis.pinning import PinError, analysis_assignments_prune, analysis_run_pin, analysis_run_unpin
from analysis.selectors import run_in_use, run_latest_succeeded, wave_derived_columns
from exports.engine import ExportOptions
from exports.models import ExportJob
from exports.services import export_job_run
from tests.api.conftest import token_client
from tests.factories import AnalysisRunFactory, MembershipFactory, UserFactory, WaveFactory

pytestmark = pytest.mark.django_db


def finished_run(wave, *, hours_ago: float, cluster: int, status="succeeded"):
    """A succeeded run finished ``hours_ago`` with two assignments, every child in cluster ``cluster``."""
    run = AnalysisRunFactory(wave=wave, status=status, finished_at=timezone.now() - timedelta(hours=hours_ago))
    AnalysisAssignment.objects.bulk_create(
        AnalysisAssignment(run=run, pid=pid, traj_cluster=cluster, traj_label=f"cluster {cluster}") for pid in ("P1", "P2")
    )
    return run


@pytest.fixture
def runs():
    wave = WaveFactory()
    old = finished_run(wave, hours_ago=72, cluster=1)
    middle = finished_run(wave, hours_ago=48, cluster=2)
    latest = finished_run(wave, hours_ago=30, cluster=3)
    return wave, old, middle, latest


def test_exports_use_the_pinned_run_until_it_is_unpinned(runs):
    wave, old, _, latest = runs
    assert run_in_use(wave) == latest and set(wave_derived_columns(wave)["traj_cluster"]) == {3}
    analysis_run_pin(run=old, user=None)
    assert run_in_use(wave) == old and run_latest_succeeded(wave) == latest
    derived = wave_derived_columns(wave)
    assert set(derived["traj_cluster"]) == {1}
    assert derived.attrs["analysis_run"]["analysis_run"] == old.pk and derived.attrs["analysis_run"]["analysis_run_pinned"]
    finished_run(wave, hours_ago=0, cluster=4)  # a rebuild after the pin changes nothing for the paper
    assert set(wave_derived_columns(wave)["traj_cluster"]) == {1}
    analysis_run_unpin(run=old)
    assert set(wave_derived_columns(wave)["traj_cluster"]) == {4}


def test_one_pin_per_wave_and_only_succeeded_runs(runs):
    wave, old, middle, _ = runs
    analysis_run_pin(run=old, user=None)
    analysis_run_pin(run=middle, user=None)  # moves the pin
    old.refresh_from_db()
    assert old.pinned_at is None and run_in_use(wave) == middle
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisRun.objects.filter(pk=old.pk).update(pinned_at=timezone.now())
    failed = AnalysisRunFactory(wave=wave, status="failed")
    with pytest.raises(PinError):
        analysis_run_pin(run=failed, user=None)


def test_pruning_keeps_the_pinned_and_the_latest_run_and_waits_a_day(runs, settings):
    wave, old, middle, latest = runs
    analysis_run_pin(run=old, user=None)
    pruned = analysis_assignments_prune()
    assert pruned == {middle.pk: 2}
    assert set(AnalysisAssignment.objects.values_list("run_id", flat=True)) == {old.pk, latest.pk}
    middle.refresh_from_db()
    assert middle.assignments_pruned_at is not None and middle.results_json == "" and middle.status == "succeeded"
    with pytest.raises(PinError):
        analysis_run_pin(run=middle, user=None)
    assert analysis_assignments_prune() == {}  # nothing twice
    # a run superseded an hour ago can still be pinned: its rows stay for ANALYSIS_PRUNE_AFTER_HOURS
    fresh_wave = WaveFactory()
    first = finished_run(fresh_wave, hours_ago=5, cluster=1)
    finished_run(fresh_wave, hours_ago=1, cluster=2)
    assert analysis_assignments_prune() == {}
    settings.ANALYSIS_PRUNE_AFTER_HOURS = 0.5
    assert analysis_assignments_prune() == {first.pk: 2}


def test_the_prune_task_is_scheduled_daily_by_beat():
    task = PeriodicTask.objects.get(task="analysis.tasks.prune_superseded_assignments")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "days"
    assert tasks.prune_superseded_assignments() == {}


def test_pin_unpin_and_current_over_the_api(runs):
    wave, old, _, latest = runs
    researcher = MembershipFactory(user=UserFactory(username="res-pin"), role="researcher", study=wave.study).user
    client = token_client(researcher)
    current = client.get("/api/v1/analysis-runs/current/", {"wave_id": wave.pk}).json()
    assert current["id"] == latest.pk and current["is_current"] and not current["is_pinned"]
    pinned = client.post(f"/api/v1/analysis-runs/{old.pk}/pin/")
    assert pinned.status_code == 200 and pinned.json()["is_pinned"] and pinned.json()["pinned_by"] == "res-pin"
    assert client.get("/api/v1/analysis-runs/current/", {"wave_id": wave.pk}).json()["id"] == old.pk
    assert client.get("/api/v1/analysis-runs/latest/", {"wave_id": wave.pk}).json()["id"] == latest.pk
    failed = AnalysisRunFactory(wave=wave, status="failed")
    refused = client.post(f"/api/v1/analysis-runs/{failed.pk}/pin/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    assert client.post(f"/api/v1/analysis-runs/{old.pk}/unpin/").json()["is_pinned"] is False
    outsider = MembershipFactory(user=UserFactory(username="res-x"), role="researcher", study=WaveFactory().study).user
    assert token_client(outsider).post(f"/api/v1/analysis-runs/{old.pk}/pin/").status_code == 404


def test_pin_from_the_report_page(runs, client):
    wave, old, _, _ = runs
    researcher = MembershipFactory(user=UserFactory(username="res-page"), role="researcher", study=wave.study).user
    client.force_login(researcher)
    page = client.get(reverse("analysis:run_report", args=[old.pk])).content.decode()
    assert reverse("analysis:run_pin", args=[old.pk]) in page
    assert client.post(reverse("analysis:run_pin", args=[old.pk])).status_code == 302
    page = client.get(reverse("analysis:run_report", args=[old.pk])).content.decode()
    assert reverse("analysis:run_unpin", args=[old.pk]) in page and run_in_use(wave) == old
    client.post(reverse("analysis:run_unpin", args=[old.pk]))
    assert run_in_use(wave) != old


def test_the_export_job_records_the_run_that_fed_it(runs, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    wave, old, _, _ = runs
    analysis_run_pin(run=old, user=None)
    job = ExportJob.objects.create(wave=wave, options=ExportOptions().to_dict())
    job = export_job_run(job_id=job.pk)
    assert job.status == ExportJob.Status.DONE and job.analysis_run == old
    with zipfile.ZipFile(job.file.path) as archive:
        name = next(name for name in archive.namelist() if name.endswith("_analysis_run.json"))
        provenance = json.loads(archive.read(name))
    assert provenance["analysis_run"] == old.pk and provenance["analysis_run_pinned"] is True
    researcher = MembershipFactory(user=UserFactory(username="res-exp"), role="researcher", study=wave.study).user
    reply = token_client(researcher).get(f"/api/v1/exports/{job.pk}/").json()
    assert reply.get("analysis_run") == old.pk, reply
