"""CLARA-style weighted k-medoids for studies with too many distinct sequences for a U x U matrix.

As WeightedCluster's ``seqclararange`` (crisp method, criterion "distance"): for
each of R samples of distinct sequences, drawn with replacement with
probability proportional to their counts and re-aggregated, compute the sample's
distances, a weighted Ward tree, and for every k a weighted PAM started from the
Ward cut; assign every distinct sequence to its nearest medoid and keep, per k,
the sample whose medoids give the smallest weighted mean distance. Memory stays
at O(U x k) plus a bounded cache of distance columns to medoids, which repeat
across samples.

Quality on this path is estimated: the measures of ``quality.cluster_quality``
(ASW, PBC, HG, HC, R2, CH, ...) are computed exactly on a random subsample of
respondents; AMS (the medoid-based silhouette, (d2 - d1) / max(d1, d2) with d1,
d2 the distances to the nearest and second-nearest medoid) and the mean distance
to the medoid are computed on all sequences.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.distances import om_distances, om_distances_to, square_form
from analysis.core.quality import QUALITY_COLUMNS, cluster_quality
from analysis.core.ward import ward_tree

DEFAULT_SAMPLES = 100
MEDOID_CACHE_BYTES = 1 << 30
QUALITY_SAMPLE_ROWS = 10_000


@dataclass(frozen=True)
class ClaraPartition:
    k: int
    labels: np.ndarray  # per distinct sequence, 0..k-1 in medoid order
    medoids: np.ndarray  # distinct-sequence indices of the k medoids
    mean_distance: float  # weighted mean distance to the own medoid (the criterion)
    medoid_silhouette: float  # AMS, weighted


def weighted_pam(square: np.ndarray, weights: np.ndarray, medoids: np.ndarray) -> np.ndarray:
    """PAM swap phase from the given medoids: apply the best cost-reducing swap until none is left."""
    medoids = np.array(medoids, dtype=np.int64)
    n, k = square.shape[0], medoids.size
    cost = float(weights @ square[:, medoids].min(axis=1))
    while True:
        to_medoids = square[:, medoids]  # n x k
        without = np.empty((k, n))
        for other in range(k):
            without[other] = np.delete(to_medoids, other, axis=1).min(axis=1) if k > 1 else np.inf
        # new_cost[slot, h] = sum_i w_i min(d(i, h), nearest medoid other than slot)
        new_cost = np.einsum("i,sih->sh", weights, np.minimum(without[:, :, None], square[None, :, :]))
        new_cost[:, medoids] = np.inf
        slot, candidate = np.unravel_index(np.argmin(new_cost), new_cost.shape)
        if not new_cost[slot, candidate] < cost - 1e-12 * max(abs(cost), 1.0):
            return medoids
        medoids[slot] = candidate
        cost = float(new_cost[slot, candidate])


def _initial_medoids(square: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per cluster, the member with the smallest weighted sum of distances to its cluster."""
    medoids = np.empty(k, dtype=np.int64)
    for cluster in range(k):
        members = np.nonzero(labels == cluster)[0]
        within = square[np.ix_(members, members)] @ weights[members]
        medoids[cluster] = members[np.argmin(within)]
    return medoids


class _MedoidColumns:
    """Distances from every distinct sequence to medoids, cached per medoid within a byte budget."""

    def __init__(self, sequences, costs, indel, budget_bytes=MEDOID_CACHE_BYTES):
        self._sequences, self._costs, self._indel = sequences, costs, indel
        self._columns: dict[int, np.ndarray] = {}
        self._capacity = max(budget_bytes // (8 * sequences.shape[0]), 0)

    def get(self, medoids: np.ndarray) -> np.ndarray:
        missing = [int(m) for m in dict.fromkeys(medoids.tolist()) if m not in self._columns]
        fresh = {}
        if missing:
            computed = om_distances_to(self._sequences, self._sequences[missing], self._costs, self._indel)
            for position, medoid in enumerate(missing):
                fresh[medoid] = computed[:, position]
                if len(self._columns) < self._capacity:
                    self._columns[medoid] = fresh[medoid]
        return np.column_stack([self._columns[int(m)] if int(m) in self._columns else fresh[int(m)] for m in medoids])


def _assign(to_medoids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float, float]:
    labels = np.argmin(to_medoids, axis=1)
    two_smallest = np.partition(to_medoids, 1, axis=1)[:, :2]
    nearest, second = two_smallest[:, 0], two_smallest[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        silhouette = np.where(second > 0, (second - nearest) / np.maximum(nearest, second), 0.0)
    total = weights.sum()
    return labels, float(weights @ nearest / total), float(weights @ silhouette / total)


def clara_range(
    sequences: np.ndarray,
    weights: np.ndarray,
    costs: np.ndarray,
    indel: float,
    ks: Sequence[int],
    n_samples: int = DEFAULT_SAMPLES,
    sample_size: int | None = None,
    random_state: int = 0,
    progress: Callable[[float], None] | None = None,
) -> dict[int, ClaraPartition]:
    """Best CLARA partition of the distinct sequences for each k (see module docstring)."""
    ks = sorted(set(int(k) for k in ks))
    weights = np.asarray(weights, dtype=np.float64)
    sample_size = sample_size or 40 + 2 * max(ks)
    rng = np.random.default_rng(random_state)
    columns = _MedoidColumns(sequences, costs, indel)
    best: dict[int, ClaraPartition] = {}
    for sample in range(n_samples):
        drawn = rng.choice(weights.size, size=sample_size, replace=True, p=weights / weights.sum())
        members, counts = np.unique(drawn, return_counts=True)
        counts = counts.astype(np.float64)
        feasible = [k for k in ks if k <= members.size]
        if not feasible:
            continue
        condensed = om_distances(sequences[members], costs, indel)
        square = square_form(condensed)
        tree = ward_tree(condensed, counts, "ward.D")
        sample_medoids = {}
        for k in feasible:
            start = _initial_medoids(square, counts, tree.cut(k), k)
            sample_medoids[k] = members[weighted_pam(square, counts, start)]
        all_medoids = np.unique(np.concatenate(list(sample_medoids.values())))
        to_all = columns.get(all_medoids)
        position = {int(m): p for p, m in enumerate(all_medoids)}
        for k, medoids in sample_medoids.items():
            labels, mean_distance, silhouette = _assign(to_all[:, [position[int(m)] for m in medoids]], weights)
            if k not in best or mean_distance < best[k].mean_distance:
                best[k] = ClaraPartition(k, labels, medoids, mean_distance, silhouette)
        if progress:
            progress((sample + 1) / n_samples)
    missing = [k for k in ks if k not in best]
    if missing:
        raise ValueError(f"too few distinct sequences for k = {missing}")
    return best


def estimate_quality(
    sequences: np.ndarray,
    weights: np.ndarray,
    partitions: dict[int, ClaraPartition],
    costs: np.ndarray,
    indel: float,
    sample_rows: int = QUALITY_SAMPLE_ROWS,
    random_state: int = 0,
) -> pd.DataFrame:
    """Quality measures on a random subsample of respondents (rows drawn without replacement),
    plus AMS and mean distance to the medoid on all sequences."""
    rng = np.random.default_rng(random_state)
    counts = np.asarray(weights).astype(np.int64)
    drawn = rng.multivariate_hypergeometric(counts, min(sample_rows, int(counts.sum())), method="marginals")
    present = np.nonzero(drawn)[0]
    condensed = om_distances(sequences[present], costs, indel)
    usable = {k: p.labels[present] for k, p in partitions.items() if np.unique(p.labels[present]).size > 1}
    frame = pd.DataFrame(index=pd.Index(sorted(partitions), name="k"), columns=list(QUALITY_COLUMNS), dtype=float)
    if usable and present.size > 1:
        estimated = cluster_quality(condensed, drawn[present].astype(np.float64), usable)
        frame.loc[estimated.index] = estimated.to_numpy()
    frame["AMS"] = [partitions[k].medoid_silhouette for k in frame.index]
    frame["mean_distance"] = [partitions[k].mean_distance for k in frame.index]
    return frame
