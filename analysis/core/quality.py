"""Cluster quality measures as WeightedCluster's ``wcClusterQuality`` defines them, with weights.

Everything is computed on distinct sequences with their counts as weights (never
expanded to the full N), which gives the values of the unweighted measures on
the full data. One pass over the condensed distances accumulates, for every
item i and every atom g of the common refinement of all partitions,
``S[i, g] = sum_j w_j d(i, j)`` and the same with d^2; all measures of all
partitions follow from these sums. Hubert's C needs the weighted distribution
of the distances, taken from one histogram pass (exact: a bin that straddles a
cut-off and holds different values is gathered and sorted).

Columns: ASW (WeightedCluster's ASWi: a(i) divides by the cluster weight minus 1,
which equals the ordinary silhouette on the full data), ASWw (divides by the
cluster weight), PBC (point-biserial correlation), HC (Hubert's C), R2 and CH
(pseudo R2 and Calinski-Harabasz on distances), R2sq and CHsq (on squared distances).
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numba import get_num_threads, njit, prange

from analysis.core.distances import condensed_row_start

QUALITY_COLUMNS = ("ASW", "ASWw", "PBC", "HC", "R2", "CH", "R2sq", "CHsq")
MAX_ATOMS = 64
HISTOGRAM_BINS = 1 << 16


def _balanced_row_ranges(n: int, n_tasks: int) -> np.ndarray:
    """Row boundaries giving each task about the same number of pairs (row i has n-1-i)."""
    pairs_before = np.concatenate([[0], np.cumsum(np.arange(n - 1, -1, -1))])
    targets = np.linspace(0, pairs_before[-1], n_tasks + 1)
    bounds = np.searchsorted(pairs_before, targets)
    bounds[0], bounds[-1] = 0, n
    return np.unique(bounds).astype(np.int64)


@njit(cache=True, parallel=True)
def _group_sums(condensed, weights, groups, n_groups, bounds):
    n = weights.shape[0]
    n_tasks = bounds.shape[0] - 1
    sums = np.zeros((n_tasks, n, n_groups))
    squares = np.zeros((n_tasks, n, n_groups))
    for task in prange(n_tasks):
        local_sums = sums[task]
        local_squares = squares[task]
        for i in range(bounds[task], bounds[task + 1]):
            start = condensed_row_start(i, n)
            wi = weights[i]
            gi = groups[i]
            for j in range(i + 1, n):
                d = condensed[start + j]
                dd = d * d
                wj = weights[j]
                gj = groups[j]
                local_sums[i, gj] += wj * d
                local_squares[i, gj] += wj * dd
                local_sums[j, gi] += wi * d
                local_squares[j, gi] += wi * dd
    return sums, squares


@njit(cache=True, parallel=True)
def _histogram(condensed, weights, scale, n_bins, bounds):
    """Per task and bin: total pair weight (2 w_i w_j), weighted sum, min and max of its distances."""
    n = weights.shape[0]
    n_tasks = bounds.shape[0] - 1
    weight = np.zeros((n_tasks, n_bins))
    total = np.zeros((n_tasks, n_bins))
    low = np.full((n_tasks, n_bins), np.inf)
    high = np.full((n_tasks, n_bins), -np.inf)
    for task in prange(n_tasks):
        for i in range(bounds[task], bounds[task + 1]):
            start = condensed_row_start(i, n)
            for j in range(i + 1, n):
                d = condensed[start + j]
                b = min(int(d * scale), n_bins - 1)
                ww = 2.0 * weights[i] * weights[j]
                weight[task, b] += ww
                total[task, b] += ww * d
                if d < low[task, b]:
                    low[task, b] = d
                if d > high[task, b]:
                    high[task, b] = d
    return weight, total, low, high


@njit(cache=True)
def _gather_bin(condensed, weights, scale, n_bins, wanted):
    n = weights.shape[0]
    count = 0
    for index in range(condensed.shape[0]):
        if min(int(condensed[index] * scale), n_bins - 1) == wanted:
            count += 1
    values = np.empty(count)
    pair_weights = np.empty(count)
    filled = 0
    for i in range(n - 1):
        start = condensed_row_start(i, n)
        for j in range(i + 1, n):
            d = condensed[start + j]
            if min(int(d * scale), n_bins - 1) == wanted:
                values[filled] = d
                pair_weights[filled] = 2.0 * weights[i] * weights[j]
                filled += 1
    return values[:filled], pair_weights[:filled]


class _DistanceDistribution:
    """Weighted distribution of all pair distances (diagonal included, at 0) for Hubert's C."""

    def __init__(self, condensed, weights, bounds):
        self._condensed, self._weights = condensed, weights
        top = float(condensed.max()) if condensed.size else 0.0
        self._scale = (HISTOGRAM_BINS - 1) / top if top > 0 else 0.0
        per_task = _histogram(condensed, weights, self._scale, HISTOGRAM_BINS, bounds)
        weight, total = per_task[0].sum(axis=0), per_task[1].sum(axis=0)
        low, high = per_task[2].min(axis=0), per_task[3].max(axis=0)
        diagonal = float(np.sum(weights * weights))
        weight[0] += diagonal
        low[0] = 0.0
        high[0] = max(high[0], 0.0)
        self._weight, self._total, self._low, self._high = weight, total, low, high
        self._gathered: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _bin_entries(self, b):
        if b not in self._gathered:
            values, weights = _gather_bin(self._condensed, self._weights, self._scale, HISTOGRAM_BINS, b)
            if b == 0:
                values = np.append(values, 0.0)
                weights = np.append(weights, float(np.sum(self._weights**2)))
            order = np.argsort(values, kind="stable")
            self._gathered[b] = (values[order], weights[order])
        return self._gathered[b]

    def extreme_sum(self, budget: float, smallest: bool) -> float:
        """Sum of the smallest (or largest) distances carrying total pair weight `budget`."""
        bins = np.nonzero(self._weight > 0)[0]
        if not smallest:
            bins = bins[::-1]
        cumulative = np.cumsum(self._weight[bins])
        full = np.searchsorted(cumulative, budget, side="right")
        result = float(np.sum(self._total[bins[:full]]))
        remaining = budget - (cumulative[full - 1] if full else 0.0)
        if full == bins.size or remaining <= 0:
            return result
        b = int(bins[full])
        if self._low[b] == self._high[b]:
            return result + remaining * self._low[b]
        values, weights = self._bin_entries(b)
        if not smallest:
            values, weights = values[::-1], weights[::-1]
        taken = np.minimum(weights, np.maximum(remaining - np.concatenate([[0.0], np.cumsum(weights)[:-1]]), 0.0))
        return result + float(np.sum(taken * values))


def _common_refinement(label_rows: np.ndarray) -> tuple[np.ndarray, int]:
    _, atoms = np.unique(label_rows, axis=1, return_inverse=True)
    atoms = atoms.ravel()
    return atoms.astype(np.int64), int(atoms.max()) + 1


def _measures(sums, squares, weights, labels, distribution) -> dict[str, float]:
    k = int(labels.max()) + 1
    cluster_weight = np.bincount(labels, weights=weights, minlength=k)
    total_weight = cluster_weight.sum()
    rows = np.arange(labels.size)
    own = sums[rows, labels]
    own_sq = squares[rows, labels]

    a_individual = np.where(cluster_weight[labels] > 1.0, own / np.maximum(cluster_weight[labels] - 1.0, 1e-300), 0.0)
    a_weighted = own / cluster_weight[labels]
    mean_to_cluster = sums / cluster_weight
    mean_to_cluster[rows, labels] = np.inf
    b = mean_to_cluster.min(axis=1)

    def silhouette(a):
        denominator = np.maximum(a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(denominator > 0, (b - a) / denominator, 0.0)
        return float(np.sum(weights * s) / total_weight)

    within = np.bincount(labels, weights=weights * own, minlength=k)  # sum over ordered pairs i != j
    within_sq = np.bincount(labels, weights=weights * own_sq, minlength=k)
    total = float(np.sum(weights * sums.sum(axis=1)))
    total_sq = float(np.sum(weights * squares.sum(axis=1)))

    def r2_and_ch(within_by_cluster, total_sum):
        residual = float(np.sum(within_by_cluster / cluster_weight))
        explained = total_sum / total_weight - residual
        ch = (explained / (k - 1.0)) / (residual / (total_weight - k)) if residual > 0 else np.inf
        return explained / (residual + explained), ch

    pair_weight = total_weight * total_weight
    same_weight = float(np.sum(cluster_weight * cluster_weight))
    within_sum = float(within.sum())
    mean_d = total / pair_weight
    mean_same = same_weight / pair_weight
    var_d = total_sq / pair_weight - mean_d * mean_d
    var_same = same_weight / pair_weight - mean_same * mean_same
    cov = within_sum / pair_weight - mean_same * mean_d
    pbc = -cov / np.sqrt(var_d * var_same)

    smallest = distribution.extreme_sum(same_weight, smallest=True)
    largest = distribution.extreme_sum(same_weight, smallest=False)
    hc = (within_sum - smallest) / (largest - smallest) if largest > smallest else np.nan

    r2, ch = r2_and_ch(within, total)
    r2sq, chsq = r2_and_ch(within_sq, total_sq)
    return {
        "ASW": silhouette(a_individual),
        "ASWw": silhouette(a_weighted),
        "PBC": float(pbc),
        "HC": float(hc),
        "R2": float(r2),
        "CH": float(ch),
        "R2sq": float(r2sq),
        "CHsq": float(chsq),
    }


def cluster_quality(
    condensed: np.ndarray, weights: np.ndarray, partitions: Mapping[int, np.ndarray]
) -> pd.DataFrame:
    """Quality of each partition (labels 0..k-1 per item); index = the partitions' keys (k)."""
    condensed = np.ascontiguousarray(condensed, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = weights.size
    if condensed.size != n * (n - 1) // 2:
        raise ValueError("condensed distances and weights do not match")
    keys = list(partitions)
    label_rows = np.vstack([np.unique(partitions[key], return_inverse=True)[1].ravel() for key in keys])
    if label_rows.shape[1] != n:
        raise ValueError("every partition must label every item")
    if any(np.unique(row).size < 2 for row in label_rows):
        raise ValueError("every partition needs at least two clusters")
    bounds = _balanced_row_ranges(n, 4 * get_num_threads())
    distribution = _DistanceDistribution(condensed, weights, bounds)

    atoms, n_atoms = _common_refinement(label_rows)
    if n_atoms <= MAX_ATOMS:  # tree cuts: one pass for all k
        batches = [(atoms, n_atoms, range(len(keys)))]
    else:
        batches = [(row, int(row.max()) + 1, [p]) for p, row in enumerate(label_rows)]
    rows = {}
    for groups, n_groups, batch in batches:
        per_task_sums, per_task_squares = _group_sums(condensed, weights, groups, n_groups, bounds)
        atom_sums, atom_squares = per_task_sums.sum(axis=0), per_task_squares.sum(axis=0)
        for p in batch:
            labels = label_rows[p]
            group_to_cluster = np.zeros(n_groups, dtype=np.int64)
            group_to_cluster[groups] = labels
            k = int(labels.max()) + 1
            aggregate = np.zeros((n_groups, k))
            aggregate[np.arange(n_groups), group_to_cluster] = 1.0
            rows[keys[p]] = _measures(atom_sums @ aggregate, atom_squares @ aggregate, weights, labels, distribution)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(QUALITY_COLUMNS))
    frame.index.name = "k"
    return frame.loc[keys]


def adjusted_rand_index(first: np.ndarray, second: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Hubert-Arabie adjusted Rand index of two partitions (1 = identical up to label names).

    With weights (counts of distinct items) it equals the index on the expanded data.
    """
    _, a = np.unique(first, return_inverse=True)
    _, b = np.unique(second, return_inverse=True)
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a.ravel(), b.ravel()), w)

    def pairs(x):
        return float(np.sum(x * (x - 1.0) / 2.0))

    total = pairs(np.array([w.sum()]))
    index = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / total
    maximum = (rows + cols) / 2.0
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)
