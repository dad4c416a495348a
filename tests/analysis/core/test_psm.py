"""Propensity score matching: known effects, hand-worked SEs, and the vectorised matchers against brute force."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.models import numeric, study_a_covariate_sets
from analysis.core.psm import (
    MATCHERS,
    METHODS,
    MatchingOptions,
    compare_groups,
    estimate_att,
    psm_by_cluster,
)
from scoring.instrument import default_instrument
from tests.analysis.core.test_models import CLUSTERS, analytic_frame

INSTRUMENT = default_instrument()  # the current version of the data dictionary


def test_nearest_neighbour_att_and_psmatch2_standard_error_by_hand():
    scores = np.array([0.2, 0.5, 0.1, 0.21, 0.6])
    treated = np.array([True, True, False, False, False])
    outcome = np.array([3.0, 5.0, 1.0, 2.0, 4.0])
    # 0.2 -> 0.21 (y 2), 0.5 -> 0.6 (y 4): ATT = 1; var1 = var0 = 2, sum w^2 = 2: SE = sqrt(2/2 + 2*2/4)
    estimate = estimate_att(scores, treated, outcome, "nearest")
    assert estimate.att == pytest.approx(1.0)
    assert estimate.se == pytest.approx(np.sqrt(2.0))
    assert estimate.controls_matched == 2
    with_caliper = estimate_att(scores, treated, outcome, "nearest", MatchingOptions(caliper=0.05))
    assert (with_caliper.treated_on_support, with_caliper.treated_off_support) == (1, 1)
    assert with_caliper.att == pytest.approx(1.0)


def test_two_neighbours_share_the_weight():
    scores = np.array([0.5, 0.4, 0.55, 0.9])
    treated = np.array([True, False, False, False])
    outcome = np.array([10.0, 1.0, 3.0, 100.0])
    estimate = estimate_att(scores, treated, outcome, "nearest", MatchingOptions(neighbors=2))
    assert estimate.att == pytest.approx(10 - 2)
    np.testing.assert_allclose(estimate.matching.control_weights, [0.5, 0.5, 0.0])


def brute_force(method, treated_scores, control_scores, control_outcome, options):
    """Dense n1 x n0 weights: the definition the vectorised matchers must reproduce."""
    distance = np.abs(treated_scores[:, None] - control_scores[None, :])
    if method == "nearest":
        weights = (distance == distance.min(axis=1, keepdims=True)).astype(float)
    elif method == "radius":
        weights = (distance <= options.radius).astype(float)
    else:
        u = distance / options.bandwidth
        weights = np.where(u < 1, 1 - u**2, 0.0)
    total = weights.sum(axis=1)
    support = total > 0
    normalised = np.where(support[:, None], weights / np.where(support, total, 1)[:, None], 0.0)
    return support, np.where(support, normalised @ control_outcome, np.nan), normalised.sum(axis=0)


@pytest.mark.parametrize("method", METHODS)
def test_vectorised_matchers_equal_the_dense_definition(method):
    rng = np.random.default_rng(1)
    treated_scores = rng.uniform(0.1, 0.7, 300)
    control_scores = rng.uniform(0.0, 0.6, 900)  # continuous: no ties in nearest distance
    control_outcome = rng.normal(size=900)
    options = MatchingOptions()
    matching = MATCHERS[method](treated_scores, control_scores, control_outcome, options)
    support, counterfactual, control_weights = brute_force(method, treated_scores, control_scores, control_outcome, options)
    np.testing.assert_array_equal(matching.treated_weights > 0, support)
    np.testing.assert_allclose(matching.counterfactual[support], counterfactual[support], atol=1e-10)
    np.testing.assert_allclose(matching.control_weights, control_weights, atol=1e-10)
    assert support.sum() < len(support) or method == "nearest"  # radius and kernel leave some treated off support


def constructed_study(n=4000, effect=0.5, seed=7):
    """Selection on x (treated have higher x), outcome rising with x, and a constant effect."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treated = rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + 1.2 * x)))
    outcome = 1 + 2 * x + effect * treated + rng.normal(0, 1, n)
    return pd.DataFrame({"x": x, "group": np.where(treated, "t", "c"), "y": outcome})


def test_matching_recovers_a_known_effect_that_the_raw_difference_misses():
    frame = constructed_study()
    comparison = compare_groups(
        frame, frame["group"] == "t", frame["group"] == "c", [numeric("x", "x")], outcome="y", labels=("t", "c")
    )
    assert comparison.unmatched_difference > 1.5  # selection bias
    for method, estimate in comparison.estimates.items():
        assert estimate.att == pytest.approx(0.5, abs=max(3 * estimate.se, 0.1)), method
        assert 0 < estimate.se < 0.2
        balance = comparison.balance[method].set_index("covariate")
        assert abs(balance.loc["x", "smd_after"]) < 0.1 < abs(balance.loc["x", "smd_before"])
        assert "propensity score" in balance.index


def test_exact_matches_give_the_exact_effect():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, 600).astype(float)
    treated = rng.uniform(size=600) < 0.2 + 0.2 * x
    frame = pd.DataFrame({"x": x, "group": np.where(treated, "t", "c"), "y": x * 3 + 0.7 * treated})
    comparison = compare_groups(frame, frame["group"] == "t", frame["group"] == "c", [numeric("x", "x")], outcome="y", methods=("nearest", "radius"))
    for estimate in comparison.estimates.values():
        assert estimate.att == pytest.approx(0.7)


def test_each_cluster_is_compared_with_non_migration_for_every_covariate_set():
    frame = analytic_frame(1200)
    result = psm_by_cluster(frame, study_a_covariate_sets(INSTRUMENT))
    estimates = result.to_frame()
    assert len(estimates) == 3 * 4 * 3 and not result.failures
    assert set(estimates["control"]) == {"non-migration"}
    assert set(estimates["treated"]) == set(CLUSTERS[1:])
    assert set(estimates["covariate_set"]) == {"model2", "model3", "model4"}
    non_migration = (frame["traj_label"] == "non-migration").sum()
    assert (estimates["n_controls"] == non_migration).all()
    balance = result.balance_frame()
    assert {"smd_before", "smd_after", "variance_ratio_before", "variance_ratio_after"} <= set(balance.columns)
    assert "parent-child relation" in set(balance.loc[balance["covariate_set"] == "model4", "covariate"])
    json.dumps(result.to_dict())
