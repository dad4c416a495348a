"""Matching options: psmatch2's ties, no weight residue, probit, bootstrap SEs, warnings kept as notes."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.core.models import numeric
from analysis.core.psm import MatchingOptions, compare_groups, estimate_att, psm_by_cluster
from tests.analysis.core.test_psm import constructed_study


def test_equally_near_controls_share_the_weight_with_ties():
    # the treated at 0.5 has controls 0.4 and 0.6 at the same distance (up to rounding) and two at 0.4
    scores = np.array([0.5, 0.4, 0.6, 0.4, 0.9])
    treated = np.array([True, False, False, False, False])
    outcome = np.array([10.0, 1.0, 4.0, 7.0, 100.0])
    tied = estimate_att(scores, treated, outcome, "nearest")
    np.testing.assert_array_equal(tied.matching.control_weights, [1 / 3, 1 / 3, 1 / 3, 0.0])
    assert tied.att == pytest.approx(10 - 4) and tied.controls_matched == 3
    first = estimate_att(scores, treated, outcome, "nearest", MatchingOptions(ties=False))
    assert first.controls_matched == 1 and first.matching.control_weights.sum() == 1.0


def test_ties_extend_the_k_th_neighbour():
    scores = np.array([0.5, 0.45, 0.3, 0.7, 0.1])
    treated = np.array([True, False, False, False, False])
    outcome = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    # second nearest: 0.3 and 0.7 both at 0.2, so three controls share the weight
    estimate = estimate_att(scores, treated, outcome, "nearest", MatchingOptions(neighbors=2))
    np.testing.assert_allclose(estimate.matching.control_weights, [1 / 3, 1 / 3, 1 / 3, 0.0])


@pytest.mark.parametrize("method", ["nearest", "radius", "kernel"])
def test_a_control_no_treated_reaches_has_weight_exactly_zero(method):
    rng = np.random.default_rng(5)
    treated_scores = np.round(rng.uniform(0.2, 0.5, 400), 3)  # repeated scores: many ties, many overlapping windows
    control_scores = np.round(rng.uniform(0.0, 0.8, 1500), 3)
    scores = np.concatenate([treated_scores, control_scores])
    treated = np.arange(len(scores)) < len(treated_scores)
    options = MatchingOptions(radius=0.0105, bandwidth=0.0605)  # off the 0.001 grid: no distance on the edge
    estimate = estimate_att(scores, treated, rng.normal(size=len(scores)), method, options)
    distance = np.abs(treated_scores[:, None] - control_scores[None, :])
    reach = {"nearest": distance.min(axis=1, keepdims=True) + 1e-12, "radius": 0.0105, "kernel": 0.0605}[method]
    reached = (distance < reach).any(axis=0) if method == "kernel" else (distance <= reach).any(axis=0)
    weights = estimate.matching.control_weights
    assert (weights[~reached] == 0).all()
    assert estimate.controls_matched == int(reached.sum()) == int((weights > 0).sum())


def test_probit_and_bootstrap_options():
    frame = constructed_study(n=1500)
    args = (frame, frame["group"] == "t", frame["group"] == "c", [numeric("x", "x")])
    options = MatchingOptions(link="probit", bootstrap=40, seed=3)
    comparison = compare_groups(*args, outcome="y", options=options)
    again = compare_groups(*args, outcome="y", options=options)
    logit = compare_groups(*args, outcome="y")
    assert comparison.link == "probit" and not comparison.notes
    for method, estimate in comparison.estimates.items():
        assert estimate.bootstrap_replications == 40
        assert estimate.se / 4 < estimate.se_bootstrap < estimate.se * 4, method
        assert estimate.se_bootstrap == again.estimates[method].se_bootstrap  # seeded
        assert np.isnan(logit.estimates[method].se_bootstrap)
    # another propensity model: the same order of the scores (one covariate), other distances
    assert comparison.estimates["radius"].att != logit.estimates["radius"].att
    rows = pd.DataFrame(comparison.rows())
    assert {"se_bootstrap", "bootstrap_replications", "link", "ties"} <= set(rows.columns)
    with pytest.raises(ValueError, match="propensity link is one of"):
        MatchingOptions(link="cloglog")


def test_convergence_warnings_go_to_the_notes_not_stderr(capfd):
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    labels = np.where(x > 0.5, "migration", "non-migration")  # x separates the groups perfectly
    frame = pd.DataFrame({"x": x, "traj_label": labels, "rsca": rng.normal(size=n)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped would fail the test
        result = psm_by_cluster(frame, {"model2": (numeric("x", "x"),)})
    assert result.notes and all(note.startswith("PSM migration (model2)") for note in result.notes)
    assert "converge" in " ".join(result.notes) or result.failures
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert result.to_dict()["notes"] == result.notes
