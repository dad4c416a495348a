"""The analysis pipeline on the reference cohort: once with the real clustering, and fast with a stand-in."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.core import pipeline
from analysis.core.models import ModelTable
from analysis.core.pipeline import STUDY_B_RULES, run_analysis
from analysis.core.trajectories import TrajectoryParams, TrajectoryResult, name_clusters, state_shares
from scoring.cleaning import CLEANING_RULES
from scoring.instrument import default_instrument
from tests.paths import REFERENCE_DIR
from tests.reference import readme_flow

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


@pytest.fixture(scope="module")
def cohort():
    """cohort_1500 raw items joined with their derived columns (without the reference's own ``analytic``)."""
    raw = pd.read_csv(REFERENCE_DIR / "cohort_1500.csv")
    scored = pd.read_csv(REFERENCE_DIR / "cohort_1500_scored.csv").drop(columns="analytic")
    return raw.merge(scored, on="pid")


def expected_flow():
    """Rows dropped by each rule (in the spec's order) and the analytic sample, as the reference README states them."""
    stated = readme_flow()
    return [stated[rule] for rule, _ in CLEANING_RULES], stated["analytic"]


def dominant_status_clusters(sequences, params=None, progress=None):
    """Stand-in for cluster_trajectories: one cluster per dominant status (or transition)."""
    params = params or TrajectoryParams()
    window = sequences[:, params.years[0] - 1 : params.years[1]]
    counts = np.stack([(window == code).sum(axis=1) for code in range(1, 5)], axis=1)
    groups = np.where(counts.max(axis=1) >= 0.6 * window.shape[1], counts.argmax(axis=1), 4)
    present = np.unique(groups)
    labels = np.searchsorted(present, groups) + 1
    shares = state_shares(window, np.ones(len(window)), labels, len(present))
    if progress:
        progress(0.5, "stand-in clustering")
    return TrajectoryResult(
        labels=labels,
        names=name_clusters(shares),
        k=len(present),
        costs=np.zeros((4, 4)),
        indel=1.0,
        quality=pd.DataFrame({"ASW": [np.nan]}, index=pd.Index([len(present)], name="k")),
        n_distinct=len(np.unique(window, axis=0)),
        algorithm="stand-in",
        method=params.method,
        state_shares=shares,
    )


@pytest.fixture
def fake_clustering(monkeypatch):
    calls = []

    def fake(sequences, params=None, progress=None):
        calls.append(params)
        return dominant_status_clusters(sequences, params, progress)

    monkeypatch.setattr(pipeline, "cluster_trajectories", fake)
    return calls


def test_study_a_stages_with_a_stand_in_clustering(cohort, fake_clustering):
    progress = []
    result = run_analysis(cohort, instrument=BUNDLED, study="A", progress=lambda fraction, message: progress.append((fraction, message)))
    dropped, analytic = expected_flow()
    flow = result.flow.set_index("rule")
    assert flow["dropped"].iloc[1:].tolist() == dropped
    assert flow["remaining"].iloc[-1] == analytic == len(result.assignments)
    assert [params.years for params in fake_clustering] == [(1, 12), (4, 12)]
    assert list(result.assignments.columns) == ["pid", "traj_cluster", "traj_label"]
    assert set(result.assignments["traj_label"]) == set(result.trajectory.names.values())
    for name in ("a_model1", "a_model2", "a_model3", "a_model4", "a_moderation_economic", "a_moderation_pcr"):
        assert isinstance(result.tables[name], ModelTable) and result.tables[name].n == analytic
    assert result.tables["a_table1"].groups[0] == "non-migration"
    assert result.tables["a_alpha"].set_index("scale").loc["rsca", "n"] == analytic
    psm = result.tables["a_psm"].to_frame()
    assert set(psm["covariate_set"]) == {"model2", "model3", "model4"}
    assert set(psm["method"]) == {"nearest", "radius", "kernel"}
    assert set(result.tables["a_sensitivity_models"].columns) >= {"model1 (ages 4-12)", "model4 (ages 4-12)"}
    assert result.tables["a_sensitivity_crosstab"].to_numpy().sum() == analytic
    assert set(result.timings) == {name for name in pipeline.STAGE_WEIGHTS if name.startswith("a_")}
    fractions = [fraction for fraction, _ in progress]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert not any(name.startswith("b_") for name in result.tables)
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["tables"]["a_model4"]["n"] == analytic
    assert sum(row["n"] for row in payload["cluster_sizes"]) == analytic
    assert "labels" not in payload["trajectory"]


def test_rows_without_a_complete_sequence_are_noted_not_clustered(cohort, fake_clustering):
    result = run_analysis(cohort, instrument=BUNDLED, study="A", cleaning_rules={"res_unknown": False})
    assert result.flow.set_index("rule").loc["res_unknown", "enabled"] == False  # noqa: E712 (numpy bool)
    assert len(result.assignments) < result.flow["remaining"].iloc[-1]
    assert any("without a complete status sequence" in note for note in result.notes)


def test_study_b_alone_keeps_the_response_quality_rules_and_scores_tatt(cohort):
    result = run_analysis(cohort, instrument=BUNDLED, study="B")
    assert list(result.flows) == ["B"] and result.trajectory is None
    enabled = result.flow.set_index("rule")["enabled"].iloc[1:].to_dict()
    assert enabled == STUDY_B_RULES
    model2 = result.tables["b_model2"]
    assert list(model2.terms.index[1:4]) == ["mother only", "father only", "both parents"]
    tatt = result.tables["b_tatt"]
    assert tatt.scores.notna().sum() == model2.n
    assert "teacher's attitude" in result.tables["b_main_tatt"].terms.index
    assert "dep" in set(result.tables["b_alpha"]["scale"])
    json.dumps(result.to_dict())


def test_both_studies_on_a_synthetic_wave_scored_by_the_engine(fake_clustering):
    from analysis.core.synthetic import synthetic_cohort
    from scoring.engine import score_wave

    raw = synthetic_cohort(500, seed=3)
    result = run_analysis(raw.join(score_wave(raw)), instrument=BUNDLED, study="both")
    assert set(result.flows) == {"A", "B"}
    assert len(result.assignments) == result.tables["a_model1"].n
    assert result.tables["b_tatt"].converged
    assert result.tables["b_model1"].n == result.tables["b_interaction_peer_sat"].n
    json.dumps(result.to_dict())


def test_unknown_study_is_refused(cohort):
    with pytest.raises(ValueError, match="study must be one of"):
        run_analysis(cohort, instrument=BUNDLED, study="C")


@pytest.mark.slow
def test_full_pipeline_on_the_reference_cohort(cohort):
    result = run_analysis(cohort, instrument=BUNDLED, params=TrajectoryParams(k=5), study="both")
    _, analytic = expected_flow()
    assert result.trajectory.k == 5 and result.sensitivity_trajectory.k == 5
    assert len(result.assignments) == analytic
    assert result.assignments["traj_cluster"].between(1, 5).all()
    assert result.tables["a_model1"].n == analytic
    assert "non-migration" in result.tables["a_model1"].references.values()
    assert set(result.flows) == {"A", "B"}
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["trajectory"]["k"] == 5
    assert {"a_models", "a_moderation", "a_psm", "a_table1", "a_alpha", "b_main_effects", "b_interactions"} <= set(
        payload["tables"]
    )
