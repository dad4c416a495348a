"""Optimal matching (Needleman-Wunsch) distances between equal-length status sequences.

Each pair is computed cell by cell as TraMineR's OMdistance does (common prefix
and suffix skipped, borders ``i * indel``, ``min(up, left) + indel`` against
``diagonal + substitution``), so the distances agree with TraMineR to the last
bit: Ward's tie-breaking depends on it.

Condensed layout: pair (i, j), i < j, at ``i * U - i * (i + 1) // 2 + j - i - 1``
(scipy's layout, and the order of R's ``dist``).
"""

import numpy as np
from numba import get_num_threads, njit, prange

from analysis.core.costs import validate_costs
from analysis.core.sequences import N_STATES, validate_sequences


def condensed_size(n: int) -> int:
    return n * (n - 1) // 2


@njit(cache=True, inline="always")
def condensed_row_start(i, n):
    """Condensed index of pair (i, j) is condensed_row_start(i, n) + j."""
    return i * n - (i * (i + 1)) // 2 - i - 1


@njit(cache=True)
def _new_table(length, indel):
    """DP table, column-major with stride length + 1; borders i * indel as TraMineR sets them."""
    stride = length + 1
    table = np.empty(stride * stride)
    for i in range(stride):
        table[i] = i * indel
        table[i * stride] = i * indel
    return table


@njit(cache=True, inline="always")
def _cell(table, cost_of, n_states, position, b_state, previous, i, left, indel):
    """min(diagonal + sub, up + indel, left + indel) for row i of the column after ``previous``."""
    diagonal = table[previous + i - 1] + cost_of[position * n_states + b_state]
    up = table[previous + i] + indel
    best = diagonal if diagonal < up else up
    left = left + indel
    return best if best < left else left


@njit(cache=True)
def _fill_columns(table, cost_of, n_states, b, prefix, first, last, rows, stride, indel):
    """Columns first..last (rows 1..rows), two at a time with the second one row behind:
    the two dependency chains interleave, which roughly halves the time per cell."""
    j = first
    while j < last:
        state1 = b[prefix + j - 1]
        state2 = b[prefix + j]
        column1 = j * stride
        column0 = column1 - stride
        column2 = column1 + stride
        left1 = _cell(table, cost_of, n_states, prefix, state1, column0, 1, table[column1], indel)
        table[column1 + 1] = left1
        left2 = table[column2]
        for i in range(2, rows + 1):
            left1 = _cell(table, cost_of, n_states, prefix + i - 1, state1, column0, i, left1, indel)
            left2 = _cell(table, cost_of, n_states, prefix + i - 2, state2, column1, i - 1, left2, indel)
            table[column1 + i] = left1
            table[column2 + i - 1] = left2
        table[column2 + rows] = _cell(table, cost_of, n_states, prefix + rows - 1, state2, column1, rows, left2, indel)
        j += 2
    if j == last:
        state = b[prefix + j - 1]
        column = j * stride
        left = table[column]
        for i in range(1, rows + 1):
            left = _cell(table, cost_of, n_states, prefix + i - 1, state, column - stride, i, left, indel)
            table[column + i] = left


@njit(cache=True)
def _sweep(a, a_index, sequences, order, lcp_previous, lo, hi, sub, indel, out, offset, step):
    """Distances from sequence ``a`` to ``sequences[order[lo:hi]]`` (skipping indices <= a_index),
    written to ``out[offset + b * step]``.

    For a pair, TraMineR skips the common prefix p and suffix and fills the
    (span x span) table in between; cell (i, j) depends only on a[p:p+i] and
    b[p:p+j]. Visiting b in lexicographic order, consecutive b with the same p
    share their first columns, so only the columns after the shared prefix are
    recomputed (all L - p rows, so that later b can reuse them). Each cell is
    min(diagonal + sub, up + indel, left + indel): the same floating-point
    operations as TraMineR's min(min(up, left) + indel, diagonal + sub), as
    rounding is monotonic; equal states add the zero diagonal of sub.
    """
    length = a.shape[0]
    stride = length + 1
    n_states = sub.shape[0]
    table = _new_table(length, indel)
    cost_of = np.empty(length * n_states)
    for position in range(length):
        for state in range(n_states):
            cost_of[position * n_states + state] = sub[a[position], state]
    table_prefix = -1
    valid_columns = 0
    shared = 0
    for s in range(lo, hi):
        b_index = order[s]
        if s > lo:
            shared = min(shared, lcp_previous[s])
        if b_index <= a_index:
            continue
        b = sequences[b_index]
        prefix = 0
        while prefix < length and a[prefix] == b[prefix]:
            prefix += 1
        if prefix == length:
            out[offset + b_index * step] = 0.0
            continue
        end = length
        while end > prefix and a[end - 1] == b[end - 1]:
            end -= 1
        span = end - prefix
        if prefix == table_prefix:
            reusable = min(valid_columns, shared - prefix)
            first_column = max(reusable, 0) + 1
        else:
            table_prefix = prefix
            first_column = 1
        _fill_columns(table, cost_of, n_states, b, prefix, first_column, span, length - prefix, stride, indel)
        valid_columns = span
        shared = length
        out[offset + b_index * step] = table[span * stride + span]


@njit(cache=True)
def _om_row(sequences, i, order, lcp_previous, sub, indel, out):
    n = sequences.shape[0]
    _sweep(sequences[i], i, sequences, order, lcp_previous, 0, n, sub, indel, out, condensed_row_start(i, n), 1)


@njit(cache=True, parallel=True)
def _om_condensed(sequences, order, lcp_previous, sub, indel, out):
    n = sequences.shape[0]
    # Rows i and n-1-i together so that every task has n-1 pairs (prange splits evenly).
    for task in prange((n + 1) // 2):
        _om_row(sequences, task, order, lcp_previous, sub, indel, out)
        if n - 1 - task != task:
            _om_row(sequences, n - 1 - task, order, lcp_previous, sub, indel, out)


@njit(cache=True, parallel=True)
def _om_cross(sequences, order, lcp_previous, targets, sub, indel, out, n_chunks):
    n, n_targets = sequences.shape[0], targets.shape[0]
    flat = out.reshape(n * n_targets)
    for task in prange(n_targets * n_chunks):
        target, chunk = task // n_chunks, task % n_chunks
        lo = chunk * n // n_chunks
        hi = (chunk + 1) * n // n_chunks
        _sweep(targets[target], -1, sequences, order, lcp_previous, lo, hi, sub, indel, flat, target, n_targets)


def _lexicographic_order(sequences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort order of the rows and, per sorted position, the common prefix length with the previous row."""
    order = np.lexsort(sequences.T[::-1])
    ordered = sequences[order]
    equal = np.cumprod(ordered[1:] == ordered[:-1], axis=1)
    lcp_previous = np.concatenate([[0], equal.sum(axis=1)]).astype(np.int64)
    return order.astype(np.int64), lcp_previous


def _prepare(sequences, costs, indel, n_states):
    """0-based sequences; costs must be symmetric with a zero diagonal (the kernel relies on both)."""
    zero_based = validate_sequences(sequences, n_states) - 1
    sub = np.ascontiguousarray(validate_costs(costs, n_states))
    if not indel > 0:
        raise ValueError("indel must be positive")
    return np.ascontiguousarray(zero_based), sub, float(indel)


def om_distances(sequences: np.ndarray, costs: np.ndarray, indel: float, n_states: int = N_STATES) -> np.ndarray:
    """Condensed OM distances between all rows (codes 1..n_states, equal lengths)."""
    seqs, sub, indel = _prepare(sequences, costs, indel, n_states)
    out = np.empty(condensed_size(seqs.shape[0]))
    if out.size:
        order, lcp_previous = _lexicographic_order(seqs)
        _om_condensed(seqs, order, lcp_previous, sub, indel, out)
    return out


def om_distances_to(
    sequences: np.ndarray, targets: np.ndarray, costs: np.ndarray, indel: float, n_states: int = N_STATES
) -> np.ndarray:
    """len(sequences) x len(targets) OM distances, e.g. from every distinct sequence to medoids."""
    seqs, sub, indel = _prepare(sequences, costs, indel, n_states)
    refs, _, _ = _prepare(targets, costs, indel, n_states)
    if refs.shape[1] != seqs.shape[1]:
        raise ValueError("sequences and targets must have the same length")
    out = np.empty((seqs.shape[0], refs.shape[0]))
    if out.size:
        order, lcp_previous = _lexicographic_order(seqs)
        n_chunks = max(1, min(4 * get_num_threads() // max(refs.shape[0], 1), seqs.shape[0] // 256))
        _om_cross(seqs, order, lcp_previous, refs, sub, indel, out, n_chunks)
    return out


def square_form(condensed: np.ndarray) -> np.ndarray:
    """Full symmetric matrix from the condensed vector (for small matrices and tests)."""
    n = int(round((1 + np.sqrt(1 + 8 * condensed.size)) / 2))
    square = np.zeros((n, n))
    rows, cols = np.triu_indices(n, 1)
    square[rows, cols] = condensed
    square[cols, rows] = condensed
    return square
