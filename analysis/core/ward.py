"""Ward clustering that reproduces R's ``hclust(method="ward.D" / "ward.D2")`` merge for merge.

The kernel is Murtagh's nearest-neighbour-list algorithm as in R's
``src/library/stats/src/hclust.f``: rows scanned in index order keeping the
first minimum, the merged cluster keeps the smaller index, Lance-Williams
update in the same floating-point order. OM distances tie often, so another
Ward implementation (scipy, fastcluster) can return another partition.

On distinct items with counts (``weights``, items in order of first
appearance), the result is that of hclust on the full N x N matrix. On that
matrix hclust first merges the identical rows at height 0, one group at a time
in order of first appearance, each group growing by its next row, and each of
those merges moves the group's distances to everything else by the
Lance-Williams formula. Closed-form weighted starting values are exact in real
arithmetic but not to the last bit, and ties decide on the last bit, so those
merges are replayed as hclust.f does them (spec "Exact Ward on distinct
sequences"): a group's row of the U x U matrix is updated once per merged row
(all rows of another item share one value), O(U x (N - U)) in all.

hclust.f's nearest-neighbour list after those merges is the list it would
build from scratch on the replayed matrix (the first minimum to the right of
each row), whatever the order of the rows in the data: every height-0 update
strictly increases a distance (``((m+s) y + (1+s) x) / (m+1+s) > y`` while
``y < (1+s) x``, which Ward's values keep), so no row takes a new neighbour on
an update, and a row whose neighbour was updated is rescanned for its first
minimum. The replay checks the increase and refuses to go on without it
(rounding could hide it only in a group of tens of millions of identical rows;
the relative increase is about 1 / m^2 at the m-th row). ward.D2 squares the
distances first and replays on the squares, as hclust.f does.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from analysis.core.distances import condensed_row_start

WARD_METHODS = ("ward.D", "ward.D2")
INFINITY = 1e300  # hclust.f's INF
_SHARED_PATHS_FROM = 64  # copies above which a row's repeated (start, size) pairs are updated once


@njit(cache=True, inline="always")
def _pair_index(i, j, n):
    if i < j:
        return condensed_row_start(i, n) + j
    return condensed_row_start(j, n) + i


@njit(cache=True)
def _first_minimum(values, begin, end):
    """(position, value) of the first minimum of values[begin:end], as hclust.f's scan
    ``if (diss < dmin)`` from dmin = INF finds it; (-1, INFINITY) when nothing is below INFINITY.

    Two passes over contiguous memory instead of one with a branch per value: the minimum with
    four running minima (independent chains), then the first position holding it.
    """
    m0 = m1 = m2 = m3 = INFINITY
    j = begin
    while j + 4 <= end:
        m0 = values[j] if values[j] < m0 else m0
        m1 = values[j + 1] if values[j + 1] < m1 else m1
        m2 = values[j + 2] if values[j + 2] < m2 else m2
        m3 = values[j + 3] if values[j + 3] < m3 else m3
        j += 4
    while j < end:
        m0 = values[j] if values[j] < m0 else m0
        j += 1
    low = min(min(m0, m1), min(m2, m3))
    if not low < INFINITY:
        return -1, INFINITY
    j = begin
    while values[j] != low:
        j += 1
    return j, low


@njit(cache=True)
def _first_neighbours(diss, n):
    """hclust.f's initial list: for each row, the first minimum to its right."""
    nearest = np.zeros(n, dtype=np.int64)
    nearest_dist = np.full(n, INFINITY)
    for i in range(n - 1):
        start = condensed_row_start(i, n)
        position, nearest_dist[i] = _first_minimum(diss, start + i + 1, start + n)
        nearest[i] = position - start
    return nearest, nearest_dist


@njit(cache=True)
def _agglomerate(diss, members, nearest, nearest_dist, squared):
    """hclust.f's main loop (iOpt 1 = ward.D, 8 = ward.D2 on squared ``diss``) from a given
    nearest-neighbour list; overwrites diss, members and the list.

    hclust.f skips inactive clusters in its scans; here a cluster's pairs with the active ones
    and its list entry are set to INFINITY when it is merged away, which leaves every first
    minimum where hclust.f finds it (no distance reaches INFINITY) and lets the scans run over
    contiguous values without a test per value. A row left with no active pair keeps an
    INFINITY distance and is never chosen, whatever its neighbour index says.
    """
    n = members.shape[0]
    active = np.ones(n, dtype=np.bool_)
    first = np.empty(n - 1, dtype=np.int64)
    second = np.empty(n - 1, dtype=np.int64)
    heights = np.empty(n - 1)
    jj = 0
    for step in range(n - 1):
        im, dmin = _first_minimum(nearest_dist, 0, n - 1)
        jm = nearest[im]
        i2 = min(im, jm)
        j2 = max(im, jm)
        first[step] = i2
        second[step] = j2
        heights[step] = np.sqrt(dmin) if squared else dmin
        active[j2] = False
        nearest_dist[j2] = INFINITY

        dmin = INFINITY
        d12 = diss[_pair_index(i2, j2, n)]
        diss[_pair_index(i2, j2, n)] = INFINITY
        for k in range(n):
            if active[k] and k != i2:
                index1 = _pair_index(i2, k, n)
                index2 = _pair_index(j2, k, n)
                # Same operation order as hclust.f, so that ties resolve identically.
                value = (members[i2] + members[k]) * diss[index1] + (members[j2] + members[k]) * diss[index2]
                value = (value - members[k] * d12) / (members[i2] + members[j2] + members[k])
                diss[index1] = value
                diss[index2] = INFINITY
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
                start = condensed_row_start(i, n)
                position, nearest_dist[i] = _first_minimum(diss, start + i + 1, start + n)
                nearest[i] = position - start
    return first, second, heights


@njit(cache=True, inline="always")
def _absorb_row(row, singleton, members, cluster, begin, end):
    """One height-0 merge's update of row[begin:end]; returns how many values did not increase."""
    stalled = 0
    for k in range(begin, end):
        # hclust.f: ((mi + mk) d1 + (mj + mk) d2 - mk d12) / (mi + mj + mk), mj = 1, d12 = 0 (and
        # x - 0 is x: the last term changes no bit)
        value = ((cluster + members[k]) * row[k] + (1.0 + members[k]) * singleton[k]) / (cluster + 1.0 + members[k])
        stalled += value <= row[k]
        row[k] = value
    return stalled


@njit(cache=True)
def _absorb_all(row, members, copies):
    """Item a's ``copies - 1`` height-0 merges on its row; returns how many updates did not increase.

    A value's path depends only on its start (the distance to one of a's rows) and the other
    item's size, and these repeat: a large group runs each distinct (start, size) pair once.
    """
    start = row.copy()
    if copies <= _SHARED_PATHS_FROM:
        stalled = 0
        for size in range(1, copies):
            stalled += _absorb_row(row, start, members, float(size), 0, row.shape[0])
        return stalled
    order = np.argsort(members, kind="mergesort")
    order = order[np.argsort(start[order], kind="mergesort")]
    path = np.empty(row.shape[0], dtype=np.int64)
    unique = 0
    for position in range(order.shape[0]):
        k = order[position]
        if position > 0:
            previous = order[position - 1]
            if start[k] != start[previous] or members[k] != members[previous]:
                unique += 1
        path[k] = unique
    unique += 1
    unique_start = np.empty(unique)
    unique_members = np.empty(unique)
    for k in range(row.shape[0]):
        unique_start[path[k]] = start[k]
        unique_members[path[k]] = members[k]
    unique_row = unique_start.copy()
    stalled = 0
    for size in range(1, copies):
        stalled += _absorb_row(unique_row, unique_start, unique_members, float(size), 0, unique)
    for k in range(row.shape[0]):
        row[k] = unique_row[path[k]]
    return stalled


@njit(cache=True)
def _replay_identical_merges(diss, weights):
    """hclust.f's height-0 merges of each item's identical rows, in place on the U x U ``diss``.

    Item a (weights in first-appearance order) absorbs its rows one at a time; the other items
    are single rows while not yet absorbed (their later rows are identical to the first, so one
    value stands for all) and whole once done. Returns False if an update did not increase.
    """
    n = weights.shape[0]
    members = np.ones(n)
    row = np.empty(n - 1)
    others = np.empty(n - 1)
    stalled = 0
    for a in range(n):
        copies = int(weights[a])
        if copies < 2:
            continue
        for k in range(n - 1):
            other = k if k < a else k + 1
            row[k] = diss[_pair_index(a, other, n)]
            others[k] = members[other]
        stalled += _absorb_all(row, others, copies)
        for k in range(n - 1):
            diss[_pair_index(a, k if k < a else k + 1, n)] = row[k]
        members[a] = weights[a]
    return stalled == 0


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


def ward_tree(
    condensed: np.ndarray,
    weights: np.ndarray | None = None,
    method: str = "ward.D",
) -> WardTree:
    """hclust(method=) on the full data, computed on condensed distances between its distinct items.

    ``weights`` are the items' counts, items in order of first appearance in the data (as
    ``sequences.distinct_sequences`` orders them). The tree is the full data's after its height-0
    merges: its leaves are the items, and ``cut(k)`` is the full tree's cut, mapped to the items.
    Without weights this is exactly hclust on the matrix. Memory: one working copy of the
    condensed vector.
    """
    if method not in WARD_METHODS:
        raise ValueError(f"method must be one of {WARD_METHODS}")
    distances = np.ascontiguousarray(condensed, dtype=np.float64)
    n = int(round((1 + np.sqrt(1 + 8 * distances.size)) / 2))
    if n * (n - 1) // 2 != distances.size or n < 2:
        raise ValueError("condensed distances must describe at least 2 items")
    squared = method == "ward.D2"
    working = distances * distances if squared else distances.copy()  # hclust.f squares first for ward.D2
    members = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    if members.shape != (n,) or np.any(members < 1) or np.any(members != np.round(members)):
        raise ValueError("weights must be counts (whole numbers from 1), one per item")
    if np.any(members > 1):
        if not np.all(distances > 0):
            raise ValueError("distinct items must be at a positive distance from each other")
        if not _replay_identical_merges(working, members):
            raise ValueError("a group of identical rows is too large for an exact replay of its merges")
    nearest, nearest_dist = _first_neighbours(working, n)
    first, second, heights = _agglomerate(working, members, nearest, nearest_dist, squared)
    return WardTree(first=first, second=second, heights=heights, method=method)
