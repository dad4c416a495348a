"""Run bookkeeping without the pipeline: no overlap, claims, stale runs, cancel, the periodic rebuild, the API start."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from analysis import services, tasks
from analysis.models import AnalysisRun
from analysis.services import (
    STALE_AFTER,
    ProgressWriter,
    RunBusy,
    RunStopped,
    analysis_parameters_clean,
    analysis_run_cancel,
    analysis_run_execute,
    analysis_run_start,
    waves_rebuild_changed,
)
from studies.models import Role
from tests.factories import AnalysisRunFactory, SchoolClassFactory, WaveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "_dispatch", sent.append)
    return sent


def test_starting_twice_returns_the_active_run(dispatched, django_capture_on_commit_callbacks):
    wave = WaveFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first, created = analysis_run_start(wave=wave)
        second, created_again = analysis_run_start(wave=wave, parameters={"k": 3})
    assert created and not created_again and first == second
    assert dispatched == [first.pk]
    assert first.status == AnalysisRun.Status.QUEUED and first.code_version and first.instrument_version


def test_the_database_refuses_two_active_runs_of_a_wave():
    wave = WaveFactory()
    AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.QUEUED)
    AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.SUCCEEDED)  # finished runs are not limited
    AnalysisRunFactory(wave=WaveFactory(), status=AnalysisRun.Status.QUEUED)  # another wave is free


def test_a_race_lost_at_the_constraint_returns_the_winner(dispatched, monkeypatch):
    wave = WaveFactory()
    winner = AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.QUEUED)
    real_filter = AnalysisRun.objects.filter

    class Blind:  # the check before the insert sees no active run, as in a race
        def first(self):
            return None

    def filter(*args, **kwargs):
        return Blind() if kwargs.get("status__in") == AnalysisRun.ACTIVE and "wave" in kwargs else real_filter(*args, **kwargs)

    monkeypatch.setattr(AnalysisRun.objects, "filter", filter)
    run, created = analysis_run_start(wave=wave)
    assert not created and run == winner


def test_parameters_are_checked():
    assert analysis_parameters_clean({"years": "4-12", "k": "5"})["years"] == [4, 12]
    for bad in ({"years": "0-12"}, {"k": 1}, {"study": "C"}, {"method": "single"}, {"colour": "red"}):
        with pytest.raises(ValueError):  # noqa: PT011  (each bad parameter has its own message)
            analysis_parameters_clean(bad)


def test_claim_runs_once_and_a_live_run_is_busy(monkeypatch):
    executed = []
    monkeypatch.setattr(services, "_execute", lambda run, attempt, on_progress: executed.append(attempt))
    run = AnalysisRunFactory(status=AnalysisRun.Status.QUEUED)
    analysis_run_execute(run_id=run.pk)
    assert executed == [1]
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.RUNNING and run.attempt == 1 and run.worker
    with pytest.raises(RunBusy):  # a re-delivered message while the first worker lives
        analysis_run_execute(run_id=run.pk)
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.SUCCEEDED)
    analysis_run_execute(run_id=run.pk)  # finished: nothing to do
    assert executed == [1]


def test_a_run_of_a_lost_worker_is_taken_over(monkeypatch):
    executed = []
    monkeypatch.setattr(services, "_execute", lambda run, attempt, on_progress: executed.append(attempt))
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    run = AnalysisRunFactory(status=AnalysisRun.Status.RUNNING, attempt=1, heartbeat_at=long_ago, started_at=long_ago)
    analysis_run_execute(run_id=run.pk)
    assert executed == [2]
    # a write of the lost first attempt is ignored
    with pytest.raises(RunStopped):
        ProgressWriter(run.pk, 1)(0.5, "late")


def test_stale_runs_fail_and_unblock_the_wave(dispatched):
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    stuck = AnalysisRunFactory(status=AnalysisRun.Status.RUNNING, attempt=1, heartbeat_at=long_ago)
    run, created = analysis_run_start(wave=stuck.wave)
    stuck.refresh_from_db()
    assert created and stuck.status == AnalysisRun.Status.FAILED and stuck.failure == AnalysisRun.Failure.WORKER_LOST


def test_progress_is_written_throttled_and_cancel_stops_it():
    run = AnalysisRunFactory(status=AnalysisRun.Status.RUNNING, attempt=1)
    writer = ProgressWriter(run.pk, 1, interval_s=3600)
    writer(0.25, "Clustering")
    writer(0.5, "throttled")
    run.refresh_from_db()
    assert (run.progress, run.message) == (0.25, "Clustering") and run.heartbeat_at
    analysis_run_cancel(run=run)
    assert run.status == AnalysisRun.Status.CANCELLED
    with pytest.raises(RunStopped):
        writer(1.0, "done")


def test_soft_time_limit_marks_the_run_failed(monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(run, attempt, on_progress):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "_execute", slow)
    run = analysis_run_execute(run_id=AnalysisRunFactory(status=AnalysisRun.Status.QUEUED).pk)
    assert run.status == AnalysisRun.Status.FAILED and run.failure == AnalysisRun.Failure.TIME_LIMIT


def test_rebuild_starts_runs_only_for_open_waves_with_changed_data(dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    earlier = now - timedelta(hours=1)
    settled = now - 2 * services.rebuild_quiet()  # quiet long enough to be rebuilt (tests/analysis/test_rebuild_debounce.py)
    never_run = WaveFactory(data_changed_at=settled)
    changed = WaveFactory(data_changed_at=settled)
    AnalysisRunFactory(wave=changed, data_changed_at=earlier, parameters={"k": 4}, finished_at=earlier)
    unchanged = WaveFactory(data_changed_at=earlier)
    AnalysisRunFactory(wave=unchanged, data_changed_at=earlier)
    failed_same_data = WaveFactory(data_changed_at=earlier)
    AnalysisRunFactory(wave=failed_same_data, data_changed_at=earlier, status=AnalysisRun.Status.FAILED)
    lost = WaveFactory(data_changed_at=earlier)
    AnalysisRunFactory(
        wave=lost, data_changed_at=earlier, status=AnalysisRun.Status.FAILED, failure=AnalysisRun.Failure.WORKER_LOST
    )
    closed = WaveFactory(data_changed_at=settled, is_open=False)
    WaveFactory(data_changed_at=None)  # no data yet
    busy = WaveFactory(data_changed_at=settled)
    AnalysisRunFactory(wave=busy, status=AnalysisRun.Status.RUNNING, heartbeat_at=now)

    with django_capture_on_commit_callbacks(execute=True):
        started = tasks.rebuild_changed_waves()
    runs = AnalysisRun.objects.filter(pk__in=started)
    assert {run.wave for run in runs} == {never_run, changed, lost}
    assert sorted(dispatched) == sorted(started)
    assert all(run.trigger == "schedule" for run in runs)
    assert runs.get(wave=changed).parameters["k"] == 4  # the parameters of the wave's last success
    assert not AnalysisRun.objects.filter(wave=closed).exists()
    assert waves_rebuild_changed() == []  # the new runs are active: nothing more to start


def test_the_periodic_rebuild_is_scheduled_in_the_database():
    migration = importlib.import_module("analysis.migrations.0002_periodic_rebuild")
    PeriodicTask.objects.filter(task="analysis.tasks.rebuild_changed_waves").delete()
    migration.create_periodic_task(apps, None)
    migration.create_periodic_task(apps, None)  # idempotent
    task = PeriodicTask.objects.get(task="analysis.tasks.rebuild_changed_waves")
    assert task.enabled and task.interval.every == 10 and task.interval.period == "minutes"


def test_the_task_executes_the_run(monkeypatch):
    executed = []
    monkeypatch.setattr(services, "_execute", lambda run, attempt, on_progress: executed.append(run.pk))
    run = AnalysisRunFactory(status=AnalysisRun.Status.QUEUED)
    tasks.analysis_run_task.apply(args=[run.pk])
    assert executed == [run.pk]


def test_a_broker_down_leaves_the_run_queued(monkeypatch, django_capture_on_commit_callbacks):
    def down(run_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.analysis_run_task, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        run, created = analysis_run_start(wave=WaveFactory())
    run.refresh_from_db()
    assert created and run.status == AnalysisRun.Status.QUEUED


def test_task_options():
    assert tasks.analysis_run_task.acks_late and tasks.analysis_run_task.soft_time_limit
    assert STALE_AFTER.total_seconds() > 3 * services.HEARTBEAT_S  # a live run beats well within the staleness window


# --------------------------------------------------------------------------
# API start


def test_api_start_with_permissions(client, make_user, dispatched, django_capture_on_commit_callbacks):
    wave = WaveFactory()
    researcher = make_user("res", Role.RESEARCHER, study=wave.study)
    teacher = make_user("tea", Role.TEACHER, study=wave.study, school_class=SchoolClassFactory(school__study=wave.study))
    outsider = make_user("other", Role.RESEARCHER, study=WaveFactory().study)

    assert client.post("/api/v1/analysis-runs/", {"wave": wave.pk}).status_code in (401, 403)
    client.force_login(teacher)
    assert client.post("/api/v1/analysis-runs/", {"wave": wave.pk}).status_code == 403
    client.force_login(outsider)  # another study's wave: the same answer as a wave that does not exist
    other = client.post("/api/v1/analysis-runs/", {"wave": wave.pk})
    missing = client.post("/api/v1/analysis-runs/", {"wave": wave.pk + 1000})
    assert other.status_code == missing.status_code == 400 and other.json() == missing.json()
    assert not AnalysisRun.objects.exists()

    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/analysis-runs/", {"wave": wave.pk, "k": 4, "years": "2-12"}, content_type="application/json")
    assert created.status_code == 201, created.content
    run_id = created.json()["id"]
    assert dispatched == [run_id] and created.json()["parameters"]["years"] == [2, 12]
    again = client.post("/api/v1/analysis-runs/", {"wave": wave.pk}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == run_id

    progress = client.get(f"/api/v1/analysis-runs/{run_id}/progress/")
    assert progress.status_code == 200 and progress.json()["status"] == "queued"
    assert client.get(f"/api/v1/analysis-runs/{run_id}/results/").status_code == 409
    cancelled = client.post(f"/api/v1/analysis-runs/{run_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    client.force_login(outsider)
    assert client.get(f"/api/v1/analysis-runs/{run_id}/progress/").status_code == 404
    assert client.post(f"/api/v1/analysis-runs/{run_id}/cancel/").status_code == 404


def test_api_rejects_bad_parameters(client, make_user, dispatched):
    wave = WaveFactory()
    client.force_login(make_user("res", Role.RESEARCHER, study=wave.study))
    response = client.post("/api/v1/analysis-runs/", {"wave": wave.pk, "years": "9-3"}, content_type="application/json")
    assert response.status_code == 400 and not AnalysisRun.objects.exists()


# --------------------------------------------------------------------------
# Pages without results, and the admin


def test_report_of_a_failed_run_points_to_the_results_shown(client, make_user):
    wave = WaveFactory()
    shown = AnalysisRunFactory(wave=wave, finished_at=timezone.now() - timedelta(hours=1))
    failed = AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.FAILED, error="Traceback: boom")
    client.force_login(make_user("res", Role.RESEARCHER, study=wave.study))
    page = client.get(f"/research/analysis/runs/{failed.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"boom" in page.content and f"/research/analysis/runs/{shown.pk}/".encode() in page.content
    assert client.get(f"/research/analysis/runs/{failed.pk}/plots/quality/").status_code == 404
    assert client.get(f"/research/analysis/runs/{failed.pk}/tables/quality.csv").status_code == 404


def test_admin_lists_runs_and_cancels(admin_client):
    run = AnalysisRunFactory(status=AnalysisRun.Status.RUNNING, attempt=1)
    assert admin_client.get("/admin/analysis/analysisrun/").status_code == 200
    assert admin_client.get(f"/admin/analysis/analysisrun/{run.pk}/change/").status_code == 200
    admin_client.post(
        "/admin/analysis/analysisrun/", {"action": "cancel", "_selected_action": [run.pk]}
    )
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.CANCELLED
    assert admin_client.get("/admin/django_celery_beat/periodictask/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_running_run_beats_while_a_long_stage_reports_nothing(monkeypatch):
    import time as clock

    run = AnalysisRunFactory(status=AnalysisRun.Status.QUEUED)
    beats = []
    monkeypatch.setattr(services, "HEARTBEAT_S", 0.05)

    def slow(run, attempt, on_progress):
        first = AnalysisRun.objects.get(pk=run.pk).heartbeat_at
        clock.sleep(0.4)
        beats.append(AnalysisRun.objects.get(pk=run.pk).heartbeat_at > first)

    monkeypatch.setattr(services, "_execute", slow)
    services.analysis_run_execute(run_id=run.pk)
    assert beats == [True]
