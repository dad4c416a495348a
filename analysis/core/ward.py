"""Ward clustering that reproduces R's ``hclust(method="ward.D" / "ward.D2")`` merge for merge.

The kernel is Murtagh's nearest-neighbour-list algorithm as in R's
``src/library/stats/src/hclust.f``: rows scanned in index order keeping the
first minimum, the merged cluster keeps the smaller index, Lance-Williams
update in the same floating-point order. OM distances tie often, so another
Ward implementation (scipy, fastcluster) can return another partition.

On distinct sequences with counts w (first-appearance order), starting from
D0(a, b) = 2 w_a w_b / (w_a + w_b) d(a, b) with ``members = w`` gives the merges
of hclust on the full matrix (ward.D2: sqrt of that factor times d, squared
inside as hclust does).
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from analysis.core.distances import condensed_row_start

WARD_METHODS = ("ward.D", "ward.D2")


@njit(cache=True)
def _pair_index(i, j, n):
    if i < j:
        return condensed_row_start(i, n) + j
    return condensed_row_start(j, n) + i


@njit(cache=True)
def _hclust_ward(diss, members, squared):
    """hclust.f with iOpt 1 (ward.D) or 8 (ward.D2); overwrites diss and members."""
    n = members.shape[0]
    infinity = 1e300
    active = np.ones(n, dtype=np.bool_)
    nearest = np.zeros(n, dtype=np.int64)
    nearest_dist = np.full(n, infinity)
    first = np.empty(n - 1, dtype=np.int64)
    second = np.empty(n - 1, dtype=np.int64)
    heights = np.empty(n - 1)
    if squared:
        for index in range(diss.shape[0]):
            diss[index] = diss[index] * diss[index]

    jm = 0
    for i in range(n - 1):
        dmin = infinity
        start = condensed_row_start(i, n)
        for j in range(i + 1, n):
            if dmin > diss[start + j]:
                dmin = diss[start + j]
                jm = j
        nearest[i] = jm
        nearest_dist[i] = dmin

    im = 0
    jj = 0
    for step in range(n - 1):
        dmin = infinity
        for i in range(n - 1):
            if active[i] and nearest_dist[i] < dmin:
                dmin = nearest_dist[i]
                im = i
                jm = nearest[i]
        i2 = min(im, jm)
        j2 = max(im, jm)
        first[step] = i2
        second[step] = j2
        heights[step] = np.sqrt(dmin) if squared else dmin
        active[j2] = False

        dmin = infinity
        d12 = diss[_pair_index(i2, j2, n)]
        for k in range(n):
            if active[k] and k != i2:
                index1 = _pair_index(i2, k, n)
                index2 = _pair_index(j2, k, n)
                # Same operation order as hclust.f, so that ties resolve identically.
                value = (members[i2] + members[k]) * diss[index1] + (members[j2] + members[k]) * diss[index2]
                value = (value - members[k] * d12) / (members[i2] + members[j2] + members[k])
                diss[index1] = value
                if i2 < k:
                    if value < dmin:
                        dmin = value
                        jj = k
                elif value < nearest_dist[k]:
                    nearest_dist[k] = value
                    nearest[k] = i2
        members[i2] = members[i2] + members[j2]
        nearest_dist[i2] = dmin
        nearest[i2] = jj

        for i in range(n - 1):
            if active[i] and (nearest[i] == i2 or nearest[i] == j2):
                dmin = infinity
                start = condensed_row_start(i, n)
                for j in range(i + 1, n):
                    if active[j] and diss[start + j] < dmin:
                        dmin = diss[start + j]
                        jj = j
                nearest[i] = jj
                nearest_dist[i] = dmin
    return first, second, heights


@njit(cache=True)
def _weighted_start(condensed, weights, squared_root):
    """D0(a, b) = f(a, b) * d(a, b), f = 2 w_a w_b / (w_a + w_b) (ward.D2: sqrt(f))."""
    n = weights.shape[0]
    out = np.empty_like(condensed)
    for i in range(n - 1):
        start = condensed_row_start(i, n)
        wi = weights[i]
        for j in range(i + 1, n):
            factor = 2.0 * wi * weights[j] / (wi + weights[j])
            if squared_root:
                factor = np.sqrt(factor)
            out[start + j] = factor * condensed[start + j]
    return out


@dataclass(frozen=True)
class WardTree:
    """Merge history over n leaves: step s joins clusters ``first[s] < second[s]`` (0-based leaf
    indices of their smallest members, as hclust.f numbers them) at ``heights[s]``."""

    first: np.ndarray
    second: np.ndarray
    heights: np.ndarray
    method: str

    @property
    def n_leaves(self) -> int:
        return self.first.size + 1

    def cut(self, k: int) -> np.ndarray:
        """Partition after the first n - k merges (R's cutree(k=)), labels 0..k-1 by first leaf."""
        n = self.n_leaves
        if not 1 <= k <= n:
            raise ValueError(f"k must be in 1..{n}")
        return _cut(self.first, self.second, n, k)

    def r_merge(self) -> np.ndarray:
        """R's ``hclust()$merge``: -leaf (1-based) for singletons, step number for earlier merges."""
        n = self.n_leaves
        last_step = np.full(n, -1)
        merge = np.empty((n - 1, 2), dtype=np.int64)
        def node(leaf):
            return -(leaf + 1) if last_step[leaf] < 0 else last_step[leaf] + 1

        for step, (a, b) in enumerate(zip(self.first, self.second)):
            pair = [node(a), node(b)]
            if pair[0] > 0 and pair[1] > 0:
                pair.sort()
            elif pair[0] > 0:
                pair.reverse()
            merge[step] = pair
            last_step[a] = step
        return merge


@njit(cache=True)
def _cut(first, second, n, k):
    parent = np.arange(n)
    for step in range(n - k):
        parent[second[step]] = first[step]
    # first[s] < second[s] and a cluster keeps its smallest index, so parents point backwards.
    root = np.empty(n, dtype=np.int64)
    for i in range(n):
        root[i] = i if parent[i] == i else root[parent[i]]
    labels = np.full(n, -1, dtype=np.int64)
    next_label = 0
    for i in range(n):
        if labels[root[i]] < 0:
            labels[root[i]] = next_label
            next_label += 1
        labels[i] = labels[root[i]]
    return labels


def ward_tree(condensed: np.ndarray, weights: np.ndarray | None = None, method: str = "ward.D") -> WardTree:
    """Weighted Ward on condensed distances between distinct items (weights = counts).

    With unit weights this is exactly hclust on the matrix. Memory: one working copy of the
    condensed vector.
    """
    if method not in WARD_METHODS:
        raise ValueError(f"method must be one of {WARD_METHODS}")
    distances = np.ascontiguousarray(condensed, dtype=np.float64)
    n = int(round((1 + np.sqrt(1 + 8 * distances.size)) / 2))
    if n * (n - 1) // 2 != distances.size or n < 2:
        raise ValueError("condensed distances must describe at least 2 items")
    members = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    if members.shape != (n,) or np.any(members <= 0):
        raise ValueError("weights must be positive, one per item")
    squared = method == "ward.D2"
    if weights is None:
        working = distances.copy()
    else:
        working = _weighted_start(distances, members, squared)
    first, second, heights = _hclust_ward(working, members, squared)
    return WardTree(first=first, second=second, heights=heights, method=method)
