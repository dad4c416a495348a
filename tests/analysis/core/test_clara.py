from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from analysis.core.clara import clara_range, estimate_quality, weighted_pam
from analysis.core.costs import default_indel, trate_costs
from analysis.core.distances import om_distances
from analysis.core.quality import adjusted_rand_index, cluster_quality
from analysis.core.sequences import distinct_sequences
from analysis.core.ward import ward_tree
from tests.paths import REFERENCE_DIR

PLANTED = np.array(
    [
        [1] * 12,
        [2] * 12,
        [3] * 12,
        [4] * 12,
        [1, 3, 1, 3, 4, 2, 4, 2, 1, 3, 1, 3],
    ]
)


def planted_groups(n, seed):
    """Five well-separated patterns, each row with up to two random one-year spells."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, len(PLANTED), n)
    sequences = PLANTED[group].copy()
    for _ in range(2):
        spell = rng.random(n) < 0.6
        sequences[spell, rng.integers(0, 12, spell.sum())] = rng.integers(1, 5, spell.sum())
    return sequences, group


@pytest.fixture(scope="module")
def reference_run():
    sequences = pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy()
    distinct = distinct_sequences(sequences)
    costs = trate_costs(distinct.sequences, distinct.weights)
    return distinct, costs, default_indel(costs)


def test_weighted_pam_reaches_the_optimum_on_a_small_case():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(0, 1, 6), rng.normal(8, 1, 6), rng.normal(20, 1, 4)])
    weights = rng.integers(1, 4, points.size).astype(float)
    square = np.abs(points[:, None] - points[None])

    def cost(medoids):
        return weights @ square[:, list(medoids)].min(axis=1)

    best = min(combinations(range(points.size), 3), key=cost)
    found = weighted_pam(square, weights, np.array([0, 1, 2]))
    assert cost(found) == pytest.approx(cost(best))


def test_clara_recovers_planted_groups():
    sequences, group = planted_groups(20_000, seed=1)
    distinct = distinct_sequences(sequences)
    costs = trate_costs(distinct.sequences, distinct.weights)
    best = clara_range(distinct.sequences, distinct.weights, costs, default_indel(costs), [5], n_samples=20)
    labels = best[5].labels[distinct.inverse]
    assert adjusted_rand_index(labels, group) > 0.95
    assert len(best[5].medoids) == 5
    assert 0 < best[5].medoid_silhouette <= 1


def test_clara_agrees_closely_with_exact_ward_on_reference_data(reference_run):
    distinct, costs, indel = reference_run
    condensed = om_distances(distinct.sequences, costs, indel)
    tree = ward_tree(condensed, distinct.weights, "ward.D")
    best = clara_range(distinct.sequences, distinct.weights, costs, indel, range(2, 11), n_samples=50)
    for k in (4, 5):
        assert adjusted_rand_index(tree.cut(k), best[k].labels, distinct.weights) > 0.8, k
    # a partition keeps the best sample's medoids and assigns every sequence to the nearest one
    assert sorted(best[5].labels[best[5].medoids]) == list(range(5))


def test_estimated_quality_is_exact_when_the_sample_is_everyone(reference_run):
    distinct, costs, indel = reference_run
    best = clara_range(distinct.sequences, distinct.weights, costs, indel, [3, 4], n_samples=10)
    estimated = estimate_quality(distinct.sequences, distinct.weights, best, costs, indel, sample_rows=10**6)
    exact = cluster_quality(
        om_distances(distinct.sequences, costs, indel), distinct.weights, {k: p.labels for k, p in best.items()}
    )
    np.testing.assert_allclose(estimated[exact.columns].to_numpy(), exact.to_numpy(), rtol=1e-9)
    assert estimated.loc[4, "AMS"] == best[4].medoid_silhouette
    assert estimated.loc[4, "mean_distance"] == best[4].mean_distance


def test_clara_is_reproducible(reference_run):
    distinct, costs, indel = reference_run
    first = clara_range(distinct.sequences, distinct.weights, costs, indel, [4], n_samples=5, random_state=3)
    second = clara_range(distinct.sequences, distinct.weights, costs, indel, [4], n_samples=5, random_state=3)
    assert np.array_equal(first[4].labels, second[4].labels)
