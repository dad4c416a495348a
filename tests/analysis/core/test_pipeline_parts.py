"""Runs degrade, never crash: every part succeeds or says why not, and the run keeps the rest."""

import json
import re

import numpy as np
import pytest

from analysis.core import pipeline
from analysis.core.pipeline import FAILED, OK, SKIPPED, run_analysis, study_a_part_names, study_b_part_names
from analysis.core.synthetic import synthetic_cohort
from scoring.engine import score_wave
from scoring.instrument import default_instrument
from tests.analysis.core.test_pipeline import dominant_status_clusters

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


def scored(n: int, seed: int = 5):
    raw = synthetic_cohort(n, seed=seed, faults=False)
    return raw.join(score_wave(raw))


def test_a_wave_of_25_analytic_rows_keeps_every_part_it_can():
    result = run_analysis(scored(25), instrument=BUNDLED, study="both", robust=("HC1", "cluster"))
    assert list(result.parts) == study_a_part_names() + study_b_part_names()
    # the largest models cannot be fitted on 25 rows: which ones depends on the clusters chosen; each names why
    failed = [name for name, part in result.parts.items() if part["status"] == FAILED]
    assert failed and all(
        re.fullmatch(r"\w+: 25 complete rows for \d+ coefficients", result.parts[name]["message"]) for name in failed
    )
    assert result.parts["a_model1"]["status"] == OK and "a_model1" in result.tables
    assert failed[0] not in result.tables and "model1" in result.tables["a_models"].columns
    assert result.parts["b_model2"]["status"] == OK and "b_model2" in result.tables
    assert len(result.assignments) == 25
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["parts"][failed[0]]["status"] == FAILED


def test_cleaning_that_drops_everyone_names_the_rule_and_study_b_still_runs():
    frame = scored(30)
    frame["flag_missing_covariates"] = 1
    result = run_analysis(frame, instrument=BUNDLED, study="both")
    reason = "no analytic rows: the cleaning rule 'missing covariates' dropped all 30 rows"
    assert result.parts["a_cleaning"] == {"status": FAILED, "message": reason}
    for name in study_a_part_names()[1:]:
        assert result.parts[name] == {"status": SKIPPED, "message": reason}
    assert result.flows["A"]["remaining"].iloc[-1] == 0
    assert result.parts["b_model1"]["status"] == OK  # Study B keeps only the response-quality rules
    json.dumps(result.to_dict())


def test_rules_dropping_the_rest_are_named_with_what_was_left():
    frame = scored(30)
    frame.loc[frame.index[:10], "flag_straightline"] = 1
    frame.loc[frame.index[10:], "flag_speeding"] = 1
    result = run_analysis(frame, instrument=BUNDLED, study="B")
    assert result.parts["b_cleaning"]["message"] == (
        "no rows to model: the cleaning rule 'speeding' dropped all 20 rows left of 30"
    )
    assert result.parts["b_model1"]["status"] == SKIPPED


def test_when_clustering_is_impossible_the_cluster_parts_are_skipped_and_study_b_runs():
    frame = scored(40)
    for year in range(1, 13):  # everyone never migrated: one distinct sequence
        frame[f"mig_{year:02d}"] = 1
    result = run_analysis(frame, instrument=BUNDLED, study="both")
    clustering = result.parts["a_clustering"]
    assert clustering["status"] == FAILED and "1 distinct sequences" in clustering["message"]
    assert result.parts["a_model1"] == {"status": SKIPPED, "message": f"needs the trajectory clusters ({clustering['message']})"}
    assert result.parts["a_alpha"]["status"] == OK  # does not need clusters
    assert result.parts["a_sensitivity_psm"]["status"] == SKIPPED
    assert result.trajectory is None and len(result.assignments) == 0
    assert all(result.parts[name]["status"] == OK for name in study_b_part_names())


def test_the_sensitivity_run_repeats_every_cluster_part(monkeypatch):
    monkeypatch.setattr(pipeline, "cluster_trajectories", dominant_status_clusters)
    result = run_analysis(scored(600), instrument=BUNDLED, study="A", robust=("cluster",))
    for name in ("table1", "model1", "model2", "model3", "model4", "moderation_economic", "moderation_pcr", "psm"):
        assert result.parts[f"a_sensitivity_{name}"]["status"] == OK, name
        assert f"a_sensitivity_{name}" in result.tables
    assert list(result.tables["a_sensitivity_models"].columns[2:]) == [f"model{i} (ages 4-12)" for i in range(1, 5)]
    assert "se_cluster" in set(result.tables["a_models"]["row"])
    assert np.isfinite(result.tables["a_model4"].terms["se_cluster"]).all()


def test_a_stop_from_the_caller_is_not_taken_for_a_failing_part(monkeypatch):
    class Stop(Exception):
        pass

    def progress(fraction, message):
        if message == "Clustering trajectories":
            raise Stop

    with pytest.raises(Stop):
        run_analysis(scored(40), instrument=BUNDLED, study="A", progress=progress)

    def failing_clustering(*args, **kwargs):
        raise Stop

    monkeypatch.setattr(pipeline, "cluster_trajectories", failing_clustering)
    with pytest.raises(Stop):
        run_analysis(scored(40), instrument=BUNDLED, study="A", fatal=(Stop,))


def test_warnings_of_a_part_go_to_the_notes(monkeypatch, capfd):
    def warning_factor(sample, instrument):
        import warnings

        warnings.warn("the factor iteration is slow", RuntimeWarning, stacklevel=2)
        return real(sample, instrument)

    real = pipeline.tatt_factor_score
    monkeypatch.setattr(pipeline, "tatt_factor_score", warning_factor)
    result = run_analysis(scored(60), instrument=BUNDLED, study="B")
    assert "b_factor_score: RuntimeWarning: the factor iteration is slow" in result.notes
    assert result.parts["b_factor_score"]["status"] == OK
    assert "the factor iteration is slow" not in capfd.readouterr().err
