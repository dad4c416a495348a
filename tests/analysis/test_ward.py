import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from analysis.core.costs import default_indel, trate_costs
from analysis.core.distances import om_distances, square_form
from analysis.core.quality import adjusted_rand_index
from analysis.core.sequences import distinct_sequences
from analysis.core.ward import ward_tree
from tests.paths import REFERENCE_DIR


def brute_force_ward(square, squared):
    """Lance-Williams Ward over all active pairs at every step (no ties in the test data)."""
    distances = square**2 if squared else square.astype(float).copy()
    n = len(distances)
    size = np.ones(n)
    active = list(range(n))
    merges, heights = [], []
    for _ in range(n - 1):
        pairs = [(distances[i, j], i, j) for a, i in enumerate(active) for j in active[a + 1 :]]
        height, i, j = min(pairs)
        for k in active:
            if k not in (i, j):
                total = size[i] + size[j] + size[k]
                distances[i, k] = distances[k, i] = (
                    (size[i] + size[k]) * distances[i, k] + (size[j] + size[k]) * distances[j, k] - size[k] * height
                ) / total
        size[i] += size[j]
        active.remove(j)
        merges.append((i, j))
        heights.append(np.sqrt(height) if squared else height)
    return merges, np.array(heights)


@pytest.fixture(scope="module")
def reference_run():
    sequences = pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy()
    distinct = distinct_sequences(sequences)
    costs = trate_costs(distinct.sequences, distinct.weights)
    condensed = om_distances(distinct.sequences, costs, default_indel(costs))
    return distinct, condensed


@pytest.mark.parametrize("method", ["ward.D", "ward.D2"])
def test_ward_equals_brute_force_lance_williams(method):
    points = np.random.default_rng(3).normal(size=(12, 2))
    square = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    tree = ward_tree(square[np.triu_indices(12, 1)], method=method)
    merges, heights = brute_force_ward(square, squared=method == "ward.D2")
    assert list(zip(tree.first, tree.second)) == merges
    np.testing.assert_allclose(tree.heights, heights, rtol=1e-12)


def test_ward_d2_agrees_with_scipy_without_ties():
    points = np.random.default_rng(4).normal(size=(30, 3))
    condensed = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))[np.triu_indices(30, 1)]
    tree = ward_tree(condensed, method="ward.D2")
    reference = linkage(condensed, method="ward")
    np.testing.assert_allclose(np.sort(tree.heights), reference[:, 2], rtol=1e-10)
    for k in range(2, 8):
        assert adjusted_rand_index(tree.cut(k), fcluster(reference, k, "maxclust")) == 1.0


def test_ties_keep_first_minimum_and_smaller_index():
    # all distances equal: hclust.f merges (1, 2), then the new cluster with 3, ...
    tree = ward_tree(np.ones(10), method="ward.D")
    assert tree.first.tolist() == [0, 0, 0, 0] and tree.second.tolist() == [1, 2, 3, 4]
    assert tree.r_merge().tolist() == [[-1, -2], [-3, 1], [-4, 2], [-5, 3]]


def test_cut_labels():
    tree = ward_tree(np.array([1.0, 10.0, 10.0, 10.0, 10.0, 1.0]))  # {0, 1} and {2, 3}
    assert tree.cut(2).tolist() == [0, 0, 1, 1]
    assert tree.cut(1).tolist() == [0, 0, 0, 0]
    assert tree.cut(4).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        tree.cut(5)


@pytest.mark.parametrize(("method", "column"), [("ward.D", "ward_D_k5"), ("ward.D2", "ward_D2_k5")])
def test_k5_partition_matches_r_hclust_on_full_matrix(reference_run, method, column):
    distinct, condensed = reference_run
    expected = pd.read_csv(REFERENCE_DIR / "ward_k5_labels.csv")[column].to_numpy()
    labels = ward_tree(condensed, distinct.weights, method).cut(5)[distinct.inverse]
    assert adjusted_rand_index(labels, expected) == 1.0


@pytest.mark.parametrize("method", ["ward.D", "ward.D2"])
def test_weighted_distinct_equals_full_matrix_for_k_2_to_10(reference_run, method):
    distinct, condensed = reference_run
    full_square = square_form(condensed)[np.ix_(distinct.inverse, distinct.inverse)]
    n = full_square.shape[0]
    full_tree = ward_tree(full_square[np.triu_indices(n, 1)], method=method)  # hclust.f on 1308 x 1308
    weighted_tree = ward_tree(condensed, distinct.weights, method)
    for k in range(2, 11):
        assert adjusted_rand_index(weighted_tree.cut(k)[distinct.inverse], full_tree.cut(k)) == 1.0, k


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        ward_tree(np.ones(2))  # not a condensed length
    with pytest.raises(ValueError):
        ward_tree(np.ones(3), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError):
        ward_tree(np.ones(3), method="average")
