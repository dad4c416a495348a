import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from analysis.core.distances import square_form
from analysis.core.quality import adjusted_rand_index
from analysis.core.ward import INFINITY, _absorb_all, _absorb_row, _agglomerate, _first_minimum, _first_neighbours, ward_tree
from tests.analysis.core.cohorts import reference_cohort
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
    cohort = reference_cohort()
    return cohort.distinct, cohort.condensed


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
    with pytest.raises(ValueError, match=r"k must be in 1\.\.4"):
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


def tied_data_with_identical_rows(seed, largest=30):
    """20-39 distinct items at distances 1, 2 or 3 (many equal distances), 1-30 identical rows
    each and ``largest`` for one of them, rows shuffled; items renumbered in order of first
    appearance."""
    rng = np.random.default_rng(seed)
    u = int(rng.integers(20, 40))
    square = rng.integers(1, 4, size=(u, u)).astype(float)
    square = np.triu(square, 1) + np.triu(square, 1).T
    counts = rng.integers(1, 31, size=u)
    counts[rng.integers(u)] = largest
    inverse = np.repeat(np.arange(u), counts)
    rng.shuffle(inverse)
    first_rows = np.unique(inverse, return_index=True)[1]
    order = np.argsort(first_rows)
    rank = np.empty(u, dtype=np.int64)
    rank[order] = np.arange(u)
    return square[np.ix_(order, order)], rank[inverse]


def closed_form_merges(square, weights, method):
    """hclust(members = w) from the former starting values 2 w_a w_b / (w_a + w_b) d."""
    factor = 2 * np.outer(weights, weights) / np.add.outer(weights, weights)
    start = (factor * square**2 if method == "ward.D2" else factor * square)[np.triu_indices(len(weights), 1)]
    nearest, nearest_dist = _first_neighbours(start, len(weights))
    first, _, _ = _agglomerate(start, weights.copy(), nearest, nearest_dist, method == "ward.D2")
    return first


@pytest.mark.parametrize("method", ["ward.D", "ward.D2"])
def test_replayed_merges_equal_hclust_on_the_full_matrix_merge_for_merge(method):
    # The nearest-neighbour list is provoked on purpose: few distinct distances, large groups of
    # identical rows interleaved. The full tree is hclust.f (ported above, checked against R in
    # test_ward_r.py) on the expanded matrix; after its height-0 merges every merge and height
    # must be the replayed tree's, to the last bit.
    closed_form_differs = 0
    for seed in range(60):
        square, inverse = tied_data_with_identical_rows(seed)
        weights = np.bincount(inverse).astype(float)
        n, u = inverse.size, weights.size
        full = ward_tree(square[np.ix_(inverse, inverse)][np.triu_indices(n, 1)], method=method)
        tree = ward_tree(square[np.triu_indices(u, 1)], weights, method)
        first_row = np.unique(inverse, return_index=True)[1]
        zeros = n - u
        assert np.all(full.heights[:zeros] == 0)
        assert np.array_equal(full.first[zeros:], first_row[tree.first]), seed
        assert np.array_equal(full.second[zeros:], first_row[tree.second]), seed
        assert np.array_equal(full.heights[zeros:], tree.heights), seed
        closed = closed_form_merges(square, weights, method)
        closed_form_differs += not np.array_equal(full.first[zeros:], first_row[closed])
    assert closed_form_differs > 0  # the data are hard enough to tell the replay from the closed form


@pytest.mark.parametrize("method", ["ward.D", "ward.D2"])
def test_a_large_group_replays_like_the_full_matrix(method):
    # above 64 copies, a group's repeated (distance, size) pairs are updated once per pair
    for seed in range(3):
        square, inverse = tied_data_with_identical_rows(seed, largest=300)
        weights = np.bincount(inverse).astype(float)
        n, u = inverse.size, weights.size
        full = ward_tree(square[np.ix_(inverse, inverse)][np.triu_indices(n, 1)], method=method)
        tree = ward_tree(square[np.triu_indices(u, 1)], weights, method)
        first_row = np.unique(inverse, return_index=True)[1]
        assert np.array_equal(full.first[n - u :], first_row[tree.first])
        assert np.array_equal(full.heights[n - u :], tree.heights)


def test_shared_update_paths_are_bit_for_bit_the_direct_updates():
    rng = np.random.default_rng(5)
    start = rng.choice([1.0, 2.0, 3.0 / 7.0, 0.1], size=500)
    members = rng.choice([1.0, 5.0, 40.0], size=500)
    shared = start.copy()
    _absorb_all(shared, members, 300)
    direct = start.copy()
    for size in range(1, 300):
        _absorb_row(direct, start, members, float(size), 0, direct.size)
    assert np.array_equal(shared, direct)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2 items"):
        ward_tree(np.ones(2))  # not a condensed length
    with pytest.raises(ValueError, match="weights must be counts"):
        ward_tree(np.ones(3), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="weights must be counts"):
        ward_tree(np.ones(3), np.array([1.0, 2.5, 1.0]))  # not counts
    with pytest.raises(ValueError, match="positive distance"):
        ward_tree(np.array([1.0, 0.0, 1.0]), np.array([2.0, 1.0, 1.0]))  # distinct items at distance 0
    with pytest.raises(ValueError, match="method must be one of"):
        ward_tree(np.ones(3), method="average")


def hclust_f_main_loop(diss, members, squared):
    """hclust.f's main loop as written there (inactive clusters skipped by a test in every scan),
    in plain Python: the reference for ``_agglomerate``, which marks merged-away pairs INFINITY."""
    diss = diss.copy()
    members = members.copy()
    n = members.size
    big = 1e300

    def index(i, j):
        i, j = min(i, j), max(i, j)
        return i * n - i * (i + 1) // 2 + j - i - 1

    active = np.ones(n, dtype=bool)
    nearest, nearest_dist = np.zeros(n, dtype=int), np.full(n, big)
    for i in range(n - 1):
        values = [diss[index(i, j)] for j in range(i + 1, n)]
        nearest[i], nearest_dist[i] = i + 1 + int(np.argmin(values)), min(values)
    merges, heights, jj = [], [], 0
    for _ in range(n - 1):
        dmin, im = big, 0
        for i in range(n - 1):
            if active[i] and nearest_dist[i] < dmin:
                dmin, im = nearest_dist[i], i
        i2, j2 = sorted((im, nearest[im]))
        merges.append((i2, j2))
        heights.append(np.sqrt(dmin) if squared else dmin)
        active[j2] = False
        dmin, d12 = big, diss[index(i2, j2)]
        for k in range(n):
            if active[k] and k != i2:
                value = (members[i2] + members[k]) * diss[index(i2, k)] + (members[j2] + members[k]) * diss[index(j2, k)]
                value = (value - members[k] * d12) / (members[i2] + members[j2] + members[k])
                diss[index(i2, k)] = value
                if i2 < k:
                    if value < dmin:
                        dmin, jj = value, k
                elif value < nearest_dist[k]:
                    nearest_dist[k], nearest[k] = value, i2
        members[i2] += members[j2]
        nearest_dist[i2], nearest[i2] = dmin, jj
        for i in range(n - 1):
            if active[i] and nearest[i] in (i2, j2):
                dmin = big
                for j in range(i + 1, n):
                    if active[j] and diss[index(i, j)] < dmin:
                        dmin, jj = diss[index(i, j)], j
                nearest[i], nearest_dist[i] = jj, dmin
    return merges, np.array(heights)


@pytest.mark.parametrize("seed", range(8))
def test_agglomerate_equals_hclust_f_loop_on_ties(seed):
    """Few distinct distances (ties everywhere), unequal members: every merge and height as
    hclust.f's loop with its scans of active clusters."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 90))
    diss = rng.integers(1, 5, size=n * (n - 1) // 2).astype(float)
    members = rng.integers(1, 4, size=n).astype(float)
    for squared in (False, True):
        start = diss * diss if squared else diss.copy()
        nearest, nearest_dist = _first_neighbours(start.copy(), n)
        first, second, heights = _agglomerate(start.copy(), members.copy(), nearest, nearest_dist, squared)
        merges, expected_heights = hclust_f_main_loop(start, members, squared)
        assert list(zip(first, second)) == merges
        assert np.array_equal(heights, expected_heights)


def test_first_minimum_is_the_first_of_equal_minima():
    values = np.array([5.0, 3.0, 4.0, 3.0, INFINITY, 3.0, 2.0, 2.0, 9.0])
    for begin in range(values.size):
        for end in range(begin, values.size + 1):
            part = values[begin:end]
            found = _first_minimum(values, begin, end)
            if part.size and part.min() < INFINITY:
                assert found == (begin + int(np.argmin(part)), part.min())
            else:
                assert found == (-1, INFINITY)
