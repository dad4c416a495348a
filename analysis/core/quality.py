"""Cluster quality measures as WeightedCluster's ``wcClusterQuality`` defines them, with weights.

Everything is computed on distinct sequences with their counts as weights (never
expanded to the full N), which gives the values of the unweighted measures on
the full data. One pass over the condensed distances accumulates, for every
item i and every atom g of the common refinement of all partitions,
``S[i, g] = sum_j w_j d(i, j)`` and the same with d^2; all measures of all
partitions follow from these sums. Hubert's C and Gamma need, for every distinct
distance value (equal to the last bit, as WeightedCluster's map keyed by the
double), the pair weight within and between clusters: one more pass files each
pair under its value (a hash table on the bits) and under the pattern of
partitions that put its two items together.

Columns: ASW (WeightedCluster's ASWi: a(i) divides by the cluster weight minus 1,
which equals the ordinary silhouette on the full data), ASWw (divides by the
cluster weight), PBC (point-biserial correlation), HG (Hubert's Gamma: Goodman
and Kruskal's gamma between the distance and "in different clusters"), HGSD
(Somers' D, ties on the distance counted), HC (Hubert's C), R2 and CH (pseudo R2
and Calinski-Harabasz on distances), R2sq and CHsq (on squared distances); HG
and HGSD as WeightedCluster's ``clusterquality`` computes them, pair weights
2 w_i w_j and the diagonal w_i^2 at distance 0 included.

Silhouettes follow R's ``cluster::silhouette``: the member of a one-row cluster
(cluster weight at most 1) scores 0, where WeightedCluster's formula gives 1;
a(i) = b(i) scores 0. Weighted as WeightedCluster weights them: the mean of
w_i s(i) over the total weight.
"""

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from numba import get_num_threads, njit, prange

from analysis.core.distances import condensed_row_start

QUALITY_COLUMNS = ("ASW", "ASWw", "PBC", "HG", "HGSD", "HC", "R2", "CH", "R2sq", "CHsq")
MAX_ATOMS = 64
MAX_PATTERNS = 16
_FIBONACCI = np.uint64(11400714819323198485)  # 2^64 / golden ratio, for multiplicative hashing


def _balanced_row_ranges(n: int, n_tasks: int) -> np.ndarray:
    """Row boundaries giving each task about the same number of pairs (row i has n-1-i)."""
    pairs_before = np.concatenate([[0], np.cumsum(np.arange(n - 1, -1, -1))])
    targets = np.linspace(0, pairs_before[-1], n_tasks + 1)
    bounds = np.searchsorted(pairs_before, targets)
    bounds[0], bounds[-1] = 0, n
    return np.unique(bounds).astype(np.int64)


@njit(cache=True, parallel=True)
def _group_sums(condensed, weights, groups, n_groups, bounds):
    """Per task (rows bounds[t]..bounds[t+1]-1): sums[t, g, i] = sum of w_j d(i, j) over the task's
    pairs of i with the items j of group g, and the same with d^2 (group-major, so that the pairs
    of a row add to contiguous memory; a row's own sums are kept in registers-sized arrays and
    added in the same order as before: every sum receives its values in the order of the rows)."""
    n = weights.shape[0]
    n_tasks = bounds.shape[0] - 1
    sums = np.zeros((n_tasks, n_groups, n))
    squares = np.zeros((n_tasks, n_groups, n))
    for task in prange(n_tasks):
        local_sums = sums[task]
        local_squares = squares[task]
        row_sums = np.empty(n_groups)
        row_squares = np.empty(n_groups)
        for i in range(bounds[task], bounds[task + 1]):
            for g in range(n_groups):
                row_sums[g] = local_sums[g, i]
                row_squares[g] = local_squares[g, i]
            start = condensed_row_start(i, n)
            wi = weights[i]
            column_sums = local_sums[groups[i]]
            column_squares = local_squares[groups[i]]
            for j in range(i + 1, n):
                d = condensed[start + j]
                dd = d * d
                wj = weights[j]
                gj = groups[j]
                row_sums[gj] += wj * d
                row_squares[gj] += wj * dd
                column_sums[j] += wi * d
                column_squares[j] += wi * dd
            for g in range(n_groups):
                local_sums[g, i] = row_sums[g]
                local_squares[g, i] = row_squares[g]
    return sums, squares


@njit(cache=True, inline="always")
def _slot(key, shift):
    return np.int64((np.uint64(key) * _FIBONACCI) >> np.uint64(shift))


@njit(cache=True, nogil=True)
def _pair_table(bits, weights, groups, pattern_of, n_patterns, begin, end):
    """Rows begin..end-1: for each distinct distance (its bits), the pair weight 2 w_i w_j of each
    pattern; returns the distances' bits and the n_values x n_patterns weights."""
    n = weights.shape[0]
    capacity_bits = 12
    capacity = np.int64(1) << capacity_bits
    slot_key = np.zeros(capacity, dtype=np.int64)
    slot_code = np.full(capacity, -1, dtype=np.int64)
    keys = np.empty(capacity // 2, dtype=np.int64)
    table = np.zeros((capacity // 2, n_patterns))
    count = 0
    for i in range(begin, end):
        start = condensed_row_start(i, n)
        wi = 2.0 * weights[i]
        patterns = pattern_of[groups[i]]
        for j in range(i + 1, n):
            key = bits[start + j]
            slot = _slot(key, 64 - capacity_bits)
            while slot_code[slot] >= 0 and slot_key[slot] != key:
                slot = (slot + 1) & (capacity - 1)
            code = slot_code[slot]
            if code < 0:
                code = count
                count += 1
                slot_key[slot], slot_code[slot], keys[code] = key, code, key
                if count == capacity // 2:  # grow: load stays at most one half
                    capacity_bits += 1
                    capacity = np.int64(1) << capacity_bits
                    slot_key = np.zeros(capacity, dtype=np.int64)
                    slot_code = np.full(capacity, -1, dtype=np.int64)
                    for old in range(count):
                        slot = _slot(keys[old], 64 - capacity_bits)
                        while slot_code[slot] >= 0:
                            slot = (slot + 1) & (capacity - 1)
                        slot_key[slot], slot_code[slot] = keys[old], old
                    grown_keys = np.empty(capacity // 2, dtype=np.int64)
                    grown_keys[:count] = keys[:count]
                    grown_table = np.zeros((capacity // 2, n_patterns))
                    grown_table[:count] = table[:count]
                    keys, table = grown_keys, grown_table
            table[code, patterns[groups[j]]] += wi * weights[j]
    return keys[:count], table[:count]


class _DistanceTable:
    """Every distinct distance value (ascending; 0 holds the diagonal, together in every partition)
    with its pair weight per pattern of partitions putting the pair together."""

    def __init__(self, condensed, weights, groups, pattern_of, n_patterns, diagonal_pattern, bounds):
        bits = condensed.view(np.int64)
        tasks = [(int(bounds[t]), int(bounds[t + 1])) for t in range(bounds.size - 1)]
        with ThreadPoolExecutor(max_workers=get_num_threads()) as pool:
            parts = list(
                pool.map(lambda r: _pair_table(bits, weights, groups, pattern_of, n_patterns, *r), tasks)
            )
        keys = np.concatenate([np.zeros(1, dtype=np.int64)] + [part[0] for part in parts])
        tables = np.concatenate([np.zeros((1, n_patterns))] + [part[1] for part in parts])
        tables[0, diagonal_pattern] = float(np.sum(weights * weights))
        self.values, inverse = np.unique(keys.view(np.float64), return_inverse=True)
        self.table = np.zeros((self.values.size, n_patterns))
        np.add.at(self.table, inverse.ravel(), tables)
        self.weight = self.table.sum(axis=1)

    def extreme_sum(self, budget: float, smallest: bool) -> float:
        """Sum of the smallest (or largest) distances carrying total pair weight ``budget``."""
        values, weights = (self.values, self.weight) if smallest else (self.values[::-1], self.weight[::-1])
        before = np.concatenate([[0.0], np.cumsum(weights)[:-1]])
        taken = np.clip(budget - before, 0.0, weights)
        return float(np.sum(taken * values))

    def gamma(self, together: np.ndarray) -> tuple[float, float]:
        """Hubert's Gamma and Somers' D for the partition that puts the patterns ``together`` in
        one cluster, in WeightedCluster's order of operations."""
        same = self.table[:, together].sum(axis=1)
        return _gamma(same, self.weight - same)


@njit(cache=True, error_model="numpy")  # no pair off the tie: nan, as in C
def _gamma(same, different):
    total_same, total_different = same.sum(), different.sum()
    concordant = discordant = ties = 0.0
    below_same = below_different = 0.0
    for v in range(same.shape[0]):
        if same[v] + different[v] <= 0:
            continue
        ties += different[v] * same[v]
        concordant += different[v] * below_same
        discordant += same[v] * below_different
        below_same += same[v]
        below_different += different[v]
        concordant += same[v] * (total_different - below_different)
        discordant += different[v] * (total_same - below_same)
    return (concordant - discordant) / (concordant + discordant), (concordant - discordant) / (
        concordant + discordant + ties
    )


def _common_refinement(label_rows: np.ndarray) -> tuple[np.ndarray, int]:
    _, atoms = np.unique(label_rows, axis=1, return_inverse=True)
    atoms = atoms.ravel()
    return atoms.astype(np.int64), int(atoms.max()) + 1


def _patterns(group_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups labelled by each partition (partitions x groups): the pattern id of each pair of
    groups, and for each pattern which partitions put such a pair together (patterns x partitions)."""
    together = group_labels[:, :, None] == group_labels[:, None, :]  # partitions x groups x groups
    masks, pattern_of = np.unique(together.reshape(together.shape[0], -1).T, axis=0, return_inverse=True)
    n_groups = group_labels.shape[1]
    return pattern_of.reshape(n_groups, n_groups).astype(np.int64), masks


def _measures(sums, squares, weights, labels, distances: _DistanceTable, together) -> dict[str, float]:
    k = int(labels.max()) + 1
    cluster_weight = np.bincount(labels, weights=weights, minlength=k)
    total_weight = cluster_weight.sum()
    rows = np.arange(labels.size)
    own = sums[rows, labels]
    own_sq = squares[rows, labels]

    alone = cluster_weight[labels] <= 1.0  # a one-row cluster: cluster::silhouette scores 0
    a_individual = own / np.where(alone, 1.0, cluster_weight[labels] - 1.0)
    a_weighted = own / cluster_weight[labels]
    mean_to_cluster = sums / cluster_weight
    mean_to_cluster[rows, labels] = np.inf
    b = mean_to_cluster.min(axis=1)

    def silhouette(a):
        denominator = np.maximum(a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(alone | (a == b), 0.0, (b - a) / denominator)
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

    smallest = distances.extreme_sum(same_weight, smallest=True)
    largest = distances.extreme_sum(same_weight, smallest=False)
    hc = (within_sum - smallest) / (largest - smallest) if largest > smallest else np.nan
    hg, hgsd = distances.gamma(together)

    r2, ch = r2_and_ch(within, total)
    r2sq, chsq = r2_and_ch(within_sq, total_sq)
    return {
        "ASW": silhouette(a_individual),
        "ASWw": silhouette(a_weighted),
        "PBC": float(pbc),
        "HG": float(hg),
        "HGSD": float(hgsd),
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

    atoms, n_atoms = _common_refinement(label_rows)
    batches: list[tuple] = []
    if n_atoms <= MAX_ATOMS:  # tree cuts: one pass of each kind for all k
        first_of_atom = np.unique(atoms, return_index=True)[1]
        pattern_of, masks = _patterns(label_rows[:, first_of_atom])
        if masks.shape[0] <= MAX_PATTERNS:
            batches = [(atoms, n_atoms, range(len(keys)), pattern_of, masks)]
    if not batches:
        pairs = np.eye(2, dtype=bool)
        for p, row in enumerate(label_rows):
            n_groups = int(row.max()) + 1
            same = np.eye(n_groups, dtype=np.int64)
            batches.append((row, n_groups, [p], same, np.repeat(pairs[:, [1]], len(keys), axis=1)))
    rows = {}
    for groups, n_groups, batch, pattern_of, masks in batches:
        diagonal = int(pattern_of[0, 0])  # a group with itself: together in every partition
        distances = _DistanceTable(condensed, weights, groups, pattern_of, masks.shape[0], diagonal, bounds)
        per_task_sums, per_task_squares = _group_sums(condensed, weights, groups, n_groups, bounds)
        atom_sums, atom_squares = per_task_sums.sum(axis=0).T, per_task_squares.sum(axis=0).T
        for p in batch:
            labels = label_rows[p]
            group_to_cluster = np.zeros(n_groups, dtype=np.int64)
            group_to_cluster[groups] = labels
            k = int(labels.max()) + 1
            aggregate = np.zeros((n_groups, k))
            aggregate[np.arange(n_groups), group_to_cluster] = 1.0
            rows[keys[p]] = _measures(
                atom_sums @ aggregate, atom_squares @ aggregate, weights, labels, distances, masks[:, p]
            )
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
