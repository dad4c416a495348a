import json

import numpy as np
import pytest

from analysis.core.distances import square_form
from analysis.core.quality import QUALITY_COLUMNS, adjusted_rand_index, cluster_quality
from analysis.core.ward import ward_tree
from tests.analysis.core.cohorts import reference_cohort
from tests.paths import REFERENCE_DIR


def weighted_cluster_quality(square, labels, weights):
    """Pair-by-pair transcription of WeightedCluster's clusterquality (RClusterQual), except that a
    one-row cluster's silhouette is 0 as in R's cluster::silhouette (WeightedCluster gives 1)."""
    n = len(weights)
    distance, pair_weight, same = [], [], []
    for i in range(n):
        distance.append(0.0), pair_weight.append(weights[i] ** 2), same.append(True)
        for j in range(i + 1, n):
            distance.append(square[i, j]), pair_weight.append(2 * weights[i] * weights[j])
            same.append(labels[i] == labels[j])
    distance, pair_weight, same = np.array(distance), np.array(pair_weight), np.array(same)
    total = pair_weight.sum()
    x_mean = (pair_weight * distance).sum() / total
    y_mean = pair_weight[same].sum() / total
    cov_x = (pair_weight * distance**2).sum() / total - x_mean**2
    cov_y = y_mean - y_mean**2
    cov_xy = (pair_weight * distance)[same].sum() / total - x_mean * y_mean
    within_weight = pair_weight[same].sum()
    within = (pair_weight * distance)[same].sum()

    def extreme(order):
        taken, result = 0.0, 0.0
        for index in order:
            part = min(pair_weight[index], within_weight - taken)
            if part <= 0:
                break
            result += part * distance[index]
            taken += part
        return result

    order = np.argsort(distance, kind="stable")
    smallest, largest = extreme(order), extreme(order[::-1])

    # Hubert's Gamma and Somers' D: the Kendall loop over distinct distances, ascending
    concordant = discordant = ties = below_same = below_different = 0.0
    total_same, total_different = pair_weight[same].sum(), pair_weight[~same].sum()
    for value in np.unique(distance):
        at = distance == value
        w_same, w_different = pair_weight[at & same].sum(), pair_weight[at & ~same].sum()
        ties += w_same * w_different
        concordant += w_different * below_same + w_same * (total_different - below_different - w_different)
        discordant += w_same * below_different + w_different * (total_same - below_same - w_same)
        below_same += w_same
        below_different += w_different

    clusters = np.unique(labels)
    size = np.array([weights[labels == c].sum() for c in clusters])
    k, total_weight = len(clusters), weights.sum()

    def r2_ch(power):
        d = square**power
        residual = sum(
            (np.outer(weights, weights) * d)[np.ix_(labels == c, labels == c)].sum() / size[index]
            for index, c in enumerate(clusters)
        )
        explained = (np.outer(weights, weights) * d).sum() / total_weight - residual
        return explained / (residual + explained), (explained / (k - 1)) / (residual / (total_weight - k))

    def asw(individual):
        values = []
        for i in range(n):
            own = labels == labels[i]
            others = [
                (weights * square[i])[labels == c].sum() / size[index]
                for index, c in enumerate(clusters)
                if c != labels[i]
            ]
            a = (weights * square[i])[own].sum()
            own_size = weights[own].sum()
            a = (0.0 if own_size <= 1 else a / (own_size - 1)) if individual else a / own_size
            b = min(others)
            values.append(0.0 if own_size <= 1 else weights[i] * (b - a) / max(a, b))
        return sum(values) / total_weight

    r2, ch = r2_ch(1)
    r2sq, chsq = r2_ch(2)
    return {
        "ASW": asw(True),
        "ASWw": asw(False),
        "PBC": -cov_xy / np.sqrt(cov_x * cov_y),
        "HG": (concordant - discordant) / (concordant + discordant),
        "HGSD": (concordant - discordant) / (concordant + discordant + ties),
        "HC": (within - smallest) / (largest - smallest),
        "R2": r2,
        "CH": ch,
        "R2sq": r2sq,
        "CHsq": chsq,
    }


@pytest.fixture(scope="module")
def reference_run():
    cohort = reference_cohort()
    tree = ward_tree(cohort.condensed, cohort.distinct.weights, "ward.D")
    return cohort.distinct, cohort.condensed, {k: tree.cut(k) for k in range(2, 11)}


def test_asw_matches_reference(reference_run):
    distinct, condensed, partitions = reference_run
    expected = json.loads((REFERENCE_DIR / "trate_costs.json").read_text())["asw_ward_D_k2_to_8"]
    quality = cluster_quality(condensed, distinct.weights, partitions)
    np.testing.assert_allclose(quality.loc[2:8, "ASW"].to_numpy(), expected, rtol=0, atol=1e-6)


def test_weighted_distinct_equals_full_data(reference_run):
    distinct, condensed, partitions = reference_run
    weighted = cluster_quality(condensed, distinct.weights, partitions)
    full_square = square_form(condensed)[np.ix_(distinct.inverse, distinct.inverse)]
    n = full_square.shape[0]
    expanded = {k: labels[distinct.inverse] for k, labels in partitions.items()}
    full = cluster_quality(full_square[np.triu_indices(n, 1)], np.ones(n), expanded)
    np.testing.assert_allclose(weighted.to_numpy(), full.to_numpy(), rtol=1e-9)


def test_weighted_silhouette_by_hand():
    # points 0, 0 (a duplicate: weight 2), 1 | 5, 6
    positions = np.array([0.0, 1.0, 5.0, 6.0])
    weights = np.array([2.0, 1.0, 1.0, 1.0])
    square = np.abs(positions[:, None] - positions[None])
    quality = cluster_quality(square[np.triu_indices(4, 1)], weights, {2: np.array([0, 0, 1, 1])})
    # a(0) = 1 / (3 - 1), b(0) = (5 + 6) / 2; a(1) = 2 / 2, b(1) = 9 / 2;
    # a(5) = 1, b(5) = 14 / 3; a(6) = 1, b(6) = 17 / 3
    expected = (2 * (10 / 11) + 7 / 9 + 11 / 14 + 14 / 17) / 5
    assert quality.loc[2, "ASW"] == pytest.approx(expected, abs=1e-12)


def test_a_one_row_cluster_scores_zero():
    # points 0, 1 | 5 (alone), weights 1: as cluster::silhouette, s(5) = 0 (WeightedCluster: 1)
    positions = np.array([0.0, 1.0, 5.0])
    square = np.abs(positions[:, None] - positions[None])
    quality = cluster_quality(square[np.triu_indices(3, 1)], np.ones(3), {2: np.array([0, 0, 1])})
    expected = ((5 - 1) / 5 + (4 - 1) / 4 + 0.0) / 3
    assert quality.loc[2, "ASW"] == pytest.approx(expected, abs=1e-15)
    assert quality.loc[2, "ASWw"] == pytest.approx(((5 - 0.5) / 5 + (4 - 0.5) / 4 + 0.0) / 3, abs=1e-15)
    # the same point counted twice is a cluster of two identical rows: a = 0, s = 1
    doubled = cluster_quality(square[np.triu_indices(3, 1)], np.array([1.0, 1.0, 2.0]), {2: np.array([0, 0, 1])})
    assert doubled.loc[2, "ASW"] == pytest.approx(((5.0 - 1) / 5 + (4.0 - 1) / 4 + 2 * 1.0) / 4, abs=1e-15)


@pytest.mark.parametrize("near_ties", [False, True])
def test_all_measures_equal_weightedcluster_transcription(near_ties):
    rng = np.random.default_rng(7)
    n = 30
    square = np.round(rng.uniform(1, 10, size=(n, n)), 0 if near_ties else 6)
    if near_ties:  # values that share a histogram bin but differ: Hubert's C gathers and sorts that bin
        square += rng.integers(0, 3, size=(n, n)) * 1e-12
    square = np.triu(square, 1) + np.triu(square, 1).T
    weights = rng.integers(1, 5, size=n).astype(float)
    partitions = {k: rng.integers(0, k, size=n) for k in (2, 3, 5)}
    quality = cluster_quality(square[np.triu_indices(n, 1)], weights, partitions)
    for k, labels in partitions.items():
        expected = weighted_cluster_quality(square, labels, weights)
        for column in QUALITY_COLUMNS:
            assert quality.loc[k, column] == pytest.approx(expected[column], rel=1e-9, abs=1e-12), (k, column)


def test_non_nested_partitions_are_handled_one_by_one():
    rng = np.random.default_rng(8)
    n = 400
    square = rng.uniform(1, 5, size=(n, n))
    square = np.triu(square, 1) + np.triu(square, 1).T
    partitions = {k: rng.integers(0, 10, size=n) for k in range(2, 6)}  # common refinement > 64 atoms
    quality = cluster_quality(square[np.triu_indices(n, 1)], np.ones(n), partitions)
    for k in (2, 5):
        expected = weighted_cluster_quality(square, np.unique(partitions[k], return_inverse=True)[1], np.ones(n))
        assert quality.loc[k, "ASW"] == pytest.approx(expected["ASW"], rel=1e-9)


def test_adjusted_rand_index():
    assert adjusted_rand_index([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 0, 1]) == pytest.approx(0.0)
    distinct, weights = np.array([0, 1, 1, 2]), np.array([3.0, 1.0, 2.0, 1.0])
    other = np.array([0, 0, 1, 1])
    expanded = np.repeat(np.arange(4), weights.astype(int))
    assert adjusted_rand_index(distinct, other, weights) == pytest.approx(
        adjusted_rand_index(distinct[expanded], other[expanded])
    )


def test_partition_needs_two_clusters():
    with pytest.raises(ValueError, match="at least two clusters"):
        cluster_quality(np.ones(3), np.ones(3), {1: np.zeros(3, dtype=int)})


def test_group_sums_add_each_row_in_order_of_the_pairs():
    """One task: every sum receives its pairs in increasing order of the other item, bit for bit."""
    from analysis.core.quality import _group_sums

    rng = np.random.default_rng(2)
    n, n_groups = 57, 5
    condensed = rng.integers(1, 40, size=n * (n - 1) // 2) / 7.0
    weights = rng.integers(1, 9, size=n).astype(float)
    groups = rng.integers(0, n_groups, size=n)
    sums, squares = _group_sums(condensed, weights, groups, n_groups, np.array([0, n]))
    square = square_form(condensed)
    for i in range(n):
        for g in range(n_groups):
            expected = expected_sq = 0.0
            for j in range(n):
                if j != i and groups[j] == g:
                    expected += weights[j] * square[i, j]
                    expected_sq += weights[j] * (square[i, j] * square[i, j])
            assert sums[0, g, i] == expected and squares[0, g, i] == expected_sq
