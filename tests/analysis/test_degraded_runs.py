"""Runs that cannot do everything still store what they could, and the report and the API say part by part why.

Two waves imported from generated cohorts: one of 25 analytic rows (the
fuller models have as many coefficients as rows) and one where every child
straight-lined the RSCA, so that cleaning drops everyone.
"""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from analysis import services
from analysis.core.synthetic import synthetic_cohort
from analysis.models import AnalysisRun
from analysis.services import analysis_run_cancel, analysis_run_execute, analysis_run_start
from studies.models import Role, Wave

pytestmark = pytest.mark.django_db

RSCA = [f"rsca{i:02d}" for i in range(1, 28)]


def imported_wave(tmp_path, frame, code: str) -> Wave:
    path = tmp_path / f"{code}.csv"
    frame.assign(wave=code).to_csv(path, index=False)
    call_command("import_responses", str(path), study="D", wave=code)
    return Wave.objects.select_related("study", "instrument").get(study__code="D", code=code)


def executed_run(wave: Wave, **parameters) -> AnalysisRun:
    run, created = analysis_run_start(wave=wave, parameters=parameters, dispatch=False)
    assert created
    return analysis_run_execute(run_id=run.pk)


def parts_of(run: AnalysisRun) -> dict:
    return run.results["parts"]


@pytest.fixture
def researcher(make_user):
    def for_wave(wave):
        return make_user(f"researcher-{wave.code}", Role.RESEARCHER, study=wave.study)

    return for_wave


def test_a_wave_of_25_analytic_rows(tmp_path, client, researcher):
    wave = imported_wave(tmp_path, synthetic_cohort(25, seed=5, faults=False), "small")
    run = executed_run(wave)
    assert run.status == AnalysisRun.Status.SUCCEEDED
    parts = parts_of(run)
    # 25 rows cannot carry the largest models: which one fails depends on the clusters chosen, its reason is named
    failed = {name: part for name, part in parts.items() if part["status"] == "failed"}
    assert failed and all(re.fullmatch(r"\w+: 25 complete rows for \d+ coefficients", part["message"]) for part in failed.values())
    name, message = next(iter(failed)), next(iter(failed.values()))["message"]
    assert parts["a_model1"]["status"] == "ok" and parts["b_model2"]["status"] == "ok"
    assert run.message.startswith("Done with ") and "failed" in run.message
    assert "a_model1" in run.results["tables"] and name not in run.results["tables"]
    assert run.assignments.exclude(traj_cluster=None).count() == 25

    client.force_login(researcher(wave))
    page = client.get(reverse("analysis:run_report", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-part="{name}"' in html and message in html
    assert 'class="part-failed"' in html and 'class="part-ok"' in html
    assert 'id="table-a_models"' in html and 'id="table-b_main_effects"' in html
    assert 'class="se_cluster"' in html and 'class="se_HC1"' in html  # both kinds of SE beside the classical ones

    api = client.get(f"/api/v1/analysis-runs/{run.pk}/")
    assert api.status_code == 200
    by_name = {part["name"]: part for part in api.json()["parts"]}
    assert by_name[name]["status"] == "failed" and by_name["b_model1"]["status"] == "ok"
    results = client.get(f"/api/v1/analysis-runs/{run.pk}/results/").json()
    assert results["results"]["parts"][name]["status"] == "failed"


def test_a_wave_where_cleaning_drops_everyone(tmp_path, client, researcher):
    frame = synthetic_cohort(30, seed=6, faults=False)
    frame[RSCA] = 3  # every child straight-lines the RSCA
    wave = imported_wave(tmp_path, frame, "empty")
    run = executed_run(wave, robust_se=[])
    assert run.status == AnalysisRun.Status.SUCCEEDED
    parts = parts_of(run)
    reason = "the cleaning rule 'straightline' dropped all 30 rows"
    assert parts["a_cleaning"] == {"status": "failed", "message": f"no analytic rows: {reason}"}
    assert parts["b_cleaning"] == {"status": "failed", "message": f"no rows to model: {reason}"}
    assert {part["status"] for name, part in parts.items() if name not in ("a_cleaning", "b_cleaning")} == {"skipped"}
    assert run.results["flows"]["A"][-1]["remaining"] == 0
    assert run.assignments.count() == 0

    client.force_login(researcher(wave))
    page = client.get(reverse("analysis:run_report", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert escape(reason) in html and 'class="part-skipped"' in html
    assert 'id="table-flow_A"' in html  # the cleaning flow is shown: it says where the rows went
    api = client.get(f"/api/v1/analysis-runs/{run.pk}/").json()
    assert {part["name"]: part["status"] for part in api["parts"]}["a_cleaning"] == "failed"


def test_run_options_reach_the_run(tmp_path, client, researcher):
    wave = imported_wave(tmp_path, synthetic_cohort(25, seed=5, faults=False), "options")
    client.force_login(researcher(wave))
    response = client.post(
        "/api/v1/analysis-runs/",
        {"wave": wave.pk, "study": "B", "robust_se": ["cluster"], "psm_link": "probit", "psm_bootstrap": 5},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    parameters = response.json()["parameters"]
    assert parameters["robust_se"] == ["cluster"] and parameters["psm_link"] == "probit"
    assert parameters["psm_bootstrap"] == 5 and parameters["psm_ties"] is True
    bad = client.post("/api/v1/analysis-runs/", {"wave": wave.pk, "robust_se": ["HC3"]}, content_type="application/json")
    assert bad.status_code == 400


def test_the_run_form_and_the_command_take_the_options(tmp_path, client, researcher, monkeypatch, capsys):
    monkeypatch.setattr(services, "_dispatch", lambda run_id: None)
    wave = imported_wave(tmp_path, synthetic_cohort(25, seed=5, faults=False), "form")
    client.force_login(researcher(wave))
    page = client.get(reverse("analysis:run_list")).content.decode()
    assert 'name="robust_se"' in page and 'name="psm_link"' in page and 'name="psm_bootstrap"' in page
    start = reverse("analysis:run_start", args=[wave.pk])
    client.post(start, {"study": "B", "years": "1-12", "robust_se": ["cluster"], "psm_link": "probit", "psm_bootstrap": "3"})
    run = AnalysisRun.objects.get(wave=wave)
    assert run.parameters["robust_se"] == ["cluster"] and run.parameters["psm_link"] == "probit"
    assert run.parameters["psm_bootstrap"] == 3
    analysis_run_cancel(run=run)

    call_command("run_analysis", wave="form", study="D", models="A", se="none", psm_link="probit", psm_no_ties=True)
    run = AnalysisRun.objects.filter(wave=wave, trigger="command").get()
    assert run.parameters["robust_se"] == [] and run.parameters["psm_ties"] is False
    assert re.search(r"^a_\w+: failed: \w+: 25 complete rows for \d+ coefficients$", capsys.readouterr().err, re.M)
    assert "se_cluster" not in run.results["tables"]["a_model1"]["terms"][0]
    assert run.results["tables"]["a_psm"]["options"]["link"] == "probit"
