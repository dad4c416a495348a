"""One real run of the reference cohort (``run_analysis``), then what is stored, exported, shown and served."""

import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from analysis import services
from analysis.models import AnalysisAssignment, AnalysisRun
from analysis.selectors import run_latest_succeeded, wave_derived_columns
from analysis.services import analysis_run_execute, analysis_run_start
from exports.engine import wave_export
from studies.models import Role
from tests.analysis.core.test_pipeline import expected_flow
from tests.factories import SchoolClassFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def analytic_pids(wave) -> set[str]:
    return set(wave_export(wave=wave, cleaned=True).frame["pid"])


def test_command_stores_a_succeeded_run_with_its_provenance(cohort_run):
    run = cohort_run.run
    assert run.status == AnalysisRun.Status.SUCCEEDED and run.trigger == "command"
    assert run.progress == 1.0 and run.started_at <= run.finished_at
    assert run.rows_read == 1500
    assert len(run.data_fingerprint) == 64 and run.code_version
    assert run.instrument_version == cohort_run.wave.instrument.version
    assert run.data_changed_at == cohort_run.wave.data_changed_at
    assert run.parameters["years"] == [1, 12] and run.parameters["study"] == "both"
    assert {"a_clustering", "a_models", "b_models"} <= set(run.timings)
    assert run_latest_succeeded(cohort_run.wave) == run
    # the trajectory result, every model table, the quality table and costs are stored
    trajectory = run.results["trajectory"]
    assert trajectory["k"] >= 2 and len(trajectory["costs"]) == 4 and trajectory["quality"]
    assert run.results["tables"]["a_model4"]["terms"] and run.results["tables"]["b_main_effects"]


def test_assignments_are_exactly_the_analytic_rows(cohort_run):
    _, analytic = expected_flow()
    clustered = AnalysisAssignment.objects.filter(run=cohort_run.run, traj_cluster__isnull=False)
    assert clustered.count() == analytic
    assert set(clustered.values_list("pid", flat=True)) == analytic_pids(cohort_run.wave)
    names = cohort_run.run.results["trajectory"]["names"]
    for cluster, label in clustered.values_list("traj_cluster", "traj_label").distinct():
        assert names[str(cluster)] == label
    assert all(len(sequence) == 12 for sequence in clustered.values_list("sequence", flat=True)[:50])


def test_json_written(cohort_run):
    payload = json.loads(cohort_run.json_path.read_text(encoding="utf-8"))
    _, analytic = expected_flow()
    assert payload["run"]["id"] == cohort_run.run.pk and payload["run"]["status"] == "succeeded"
    assert payload["run"]["data_fingerprint"] == cohort_run.run.data_fingerprint
    assert payload["results"]["trajectory"]["k"] == cohort_run.run.results["trajectory"]["k"]
    assert sum(row["traj_cluster"] is not None for row in payload["assignments"]) == analytic


def test_export_carries_clusters_for_analytic_rows_only(cohort_run):
    wave = cohort_run.wave
    derived = wave_derived_columns(wave)
    assert list(derived.columns) == ["tatt", "traj_cluster", "traj_label"]
    frame = wave_export(wave=wave, extra=derived).frame.set_index("pid")
    analytic = analytic_pids(wave)
    inside, outside = frame.loc[sorted(analytic)], frame.drop(index=sorted(analytic))
    assert len(inside) and len(outside) and len(frame) == 1500
    assert inside["traj_cluster"].notna().all() and inside["traj_label"].notna().all()
    assert outside["traj_cluster"].isna().all() and outside["traj_label"].isna().all()
    assert frame["tatt"].notna().any()


def test_export_responses_command_carries_the_clusters(cohort_run, tmp_path):
    out = tmp_path / "wave.csv"
    call_command("export_responses", wave="2021-01", study="A", out=str(out))
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"pid": str}).set_index("pid")
    analytic = analytic_pids(cohort_run.wave)
    assert frame.loc[sorted(analytic), "traj_cluster"].notna().all()
    assert frame.drop(index=sorted(analytic))["traj_label"].isna().all()


def test_a_failing_run_keeps_the_previous_results(cohort_run, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the pipeline broke")

    monkeypatch.setattr(services, "run_analysis", broken)
    run, created = analysis_run_start(wave=cohort_run.wave, dispatch=False)
    assert created
    failed = analysis_run_execute(run_id=run.pk)
    assert failed.status == AnalysisRun.Status.FAILED and failed.failure == AnalysisRun.Failure.ERROR
    # the user sees a message and a reference id; the exception and its traceback stay in the log
    assert "the pipeline broke" not in failed.error and "reference" in failed.error and failed.finished_at
    assert not failed.assignments.exists() and failed.results is None
    assert run_latest_succeeded(cohort_run.wave) == cohort_run.run
    assert wave_derived_columns(cohort_run.wave)["traj_cluster"].notna().sum() == expected_flow()[1]


def test_a_cancelled_run_stops_at_its_next_progress_report(cohort_run, monkeypatch):
    def cancelled_midway(frame, *, progress, **kwargs):
        progress(0.0, "start")
        AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.CANCELLED)
        progress(1.0, "would be done")
        raise AssertionError("not reached")

    monkeypatch.setattr(services, "run_analysis", cancelled_midway)
    run, _ = analysis_run_start(wave=cohort_run.wave, dispatch=False)
    stopped = analysis_run_execute(run_id=run.pk)
    assert stopped.status == AnalysisRun.Status.CANCELLED and stopped.results is None
    assert run_latest_succeeded(cohort_run.wave) == cohort_run.run


def test_run_analysis_refuses_while_a_run_is_active(cohort_run):
    from django.core.management.base import CommandError

    active, _ = analysis_run_start(wave=cohort_run.wave, dispatch=False)
    with pytest.raises(CommandError, match=f"#{active.pk}"):
        call_command("run_analysis", wave="2021-01", study="A")


# --------------------------------------------------------------------------
# Pages


@pytest.fixture
def researcher(make_user, cohort_run):
    return make_user("researcher", Role.RESEARCHER, study=cohort_run.wave.study)


@pytest.fixture
def teacher(make_user, cohort_run):
    school_class = SchoolClassFactory(school__study=cohort_run.wave.study)
    return make_user("teacher", Role.TEACHER, study=cohort_run.wave.study, school_class=school_class)


def page_urls(run) -> list[str]:
    return [
        reverse("analysis:run_list"),
        reverse("analysis:run_report", args=[run.pk]),
        reverse("analysis:run_plot", args=[run.pk, "sequence_index"]),
        reverse("analysis:run_plot", args=[run.pk, "state_distribution"]) + "?format=svg",
        reverse("analysis:run_table_csv", args=[run.pk, "a_models"]),
    ]


def test_pages_for_a_researcher(client, researcher, cohort_run):
    run = cohort_run.run
    client.force_login(researcher)
    report = client.get(reverse("analysis:run_report", args=[run.pk]))
    assert report.status_code == 200
    html = report.content.decode()
    assert 'class="se"' in html and "***" in html  # coefficients with stars, SE rows beneath
    assert reverse("analysis:run_plot", args=[run.pk, "coef-a_model4"]) in html
    listing = client.get(reverse("analysis:run_list"))
    assert listing.status_code == 200 and f"#{run.pk}" in listing.content.decode()

    for name, fmt, content_type, magic in (
        ("sequence_index", "png", "image/png", b"\x89PNG"),
        ("state_distribution", "svg", "image/svg+xml", b"<?xml"),
        ("quality", "png", "image/png", b"\x89PNG"),
        ("coef-a_model4", "svg", "image/svg+xml", b"<?xml"),
    ):
        response = client.get(reverse("analysis:run_plot", args=[run.pk, name]), {"format": fmt})
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type and response.content.startswith(magic)
    assert client.get(reverse("analysis:run_plot", args=[run.pk, "nothing"])).status_code == 404

    csv = client.get(reverse("analysis:run_table_csv", args=[run.pk, "a_models"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"]
    table = pd.read_csv(pd.io.common.BytesIO(csv.content), encoding="utf-8-sig")
    assert list(table.columns[:2]) == ["term", "row"] and "model4" in table.columns
    quality = client.get(reverse("analysis:run_table_csv", args=[run.pk, "quality"]))
    assert quality.status_code == 200 and b"ASW" in quality.content


def test_pages_refuse_anonymous_and_teacher(client, teacher, cohort_run):
    urls = page_urls(cohort_run.run)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url
    client.force_login(teacher)
    for url in urls:
        assert client.get(url).status_code == 403, url
    start = reverse("analysis:run_start", args=[cohort_run.wave.pk])
    assert client.post(start, {"study": "both", "years": "1-12"}).status_code == 403
    assert not AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).exists()


def test_researcher_starts_a_run_from_the_page(client, researcher, cohort_run, django_capture_on_commit_callbacks, monkeypatch):
    dispatched = []
    monkeypatch.setattr(services, "_dispatch", dispatched.append)
    client.force_login(researcher)
    start = reverse("analysis:run_start", args=[cohort_run.wave.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start, {"study": "A", "k": "4", "years": "1-12"})
    run = AnalysisRun.objects.get(status=AnalysisRun.Status.QUEUED)
    assert response.status_code == 302 and response["Location"] == reverse("analysis:run_report", args=[run.pk])
    assert dispatched == [run.pk] and run.created_by == researcher and run.parameters["k"] == 4
    again = client.post(start, {"study": "A", "years": "1-12"})
    assert again["Location"] == reverse("analysis:run_report", args=[run.pk])
    assert AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).count() == 1
    page = client.get(reverse("analysis:run_report", args=[run.pk]))
    assert page.status_code == 200 and b'http-equiv="refresh"' in page.content


# --------------------------------------------------------------------------
# API


def test_api_results_and_progress(client, researcher, teacher, cohort_run):
    run = cohort_run.run
    results_url = f"/api/v1/analysis-runs/{run.pk}/results/"
    progress_url = f"/api/v1/analysis-runs/{run.pk}/progress/"
    assert client.get(results_url).status_code in (401, 403)
    client.force_login(teacher)
    assert client.get(results_url).status_code == 404
    assert client.get(progress_url).status_code == 404
    assert client.get("/api/v1/analysis-runs/").json()["count"] == 0

    client.force_login(researcher)
    progress = client.get(progress_url)
    assert progress.status_code == 200 and progress.json()["progress"] == 1.0
    results = client.get(results_url, {"assignments": "1"})
    assert results.status_code == 200
    payload = results.json()
    assert payload["run"]["is_latest"] is True
    assert payload["results"]["trajectory"]["k"] == run.results["trajectory"]["k"]
    assert sum(row["traj_cluster"] is not None for row in payload["assignments"]) == expected_flow()[1]
    listing = client.get("/api/v1/analysis-runs/", {"wave": cohort_run.wave.pk})
    assert [row["id"] for row in listing.json()["results"]] == [run.pk]
    latest = client.get("/api/v1/analysis-runs/latest/", {"wave": cohort_run.wave.pk})
    assert latest.status_code == 200 and latest.json()["id"] == run.pk
