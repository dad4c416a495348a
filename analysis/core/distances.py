"""Optimal matching (Needleman-Wunsch) distances between equal-length status sequences.

Each pair is computed cell by cell as TraMineR's OMdistance does (common prefix
and suffix skipped, borders ``i * indel``, ``min(up, left) + indel`` against
``diagonal + substitution``), so the distances agree with TraMineR to the last
bit: Ward's tie-breaking depends on it.

Condensed layout: pair (i, j), i < j, at ``i * U - i * (i + 1) // 2 + j - i - 1``
(scipy's layout, and the order of R's ``dist``).
"""

import numpy as np
from numba import njit, prange

from analysis.core.sequences import N_STATES, validate_sequences


def condensed_size(n: int) -> int:
    return n * (n - 1) // 2


@njit(cache=True, inline="always")
def condensed_row_start(i, n):
    """Condensed index of pair (i, j) is condensed_row_start(i, n) + j."""
    return i * n - (i * (i + 1)) // 2 - i - 1


@njit(cache=True)
def _init_borders(fmat, stride, indel):
    for i in range(stride):
        fmat[i] = i * indel
        fmat[i * stride] = i * indel


@njit(cache=True)
def _om_pair(a, b, sub, indel, fmat, stride):
    """OM distance of two equal-length 0-based sequences; fmat holds the borders already."""
    length = a.shape[0]
    prefix = 0
    while prefix < length and a[prefix] == b[prefix]:
        prefix += 1
    if prefix == length:
        return 0.0
    end = length
    while end > prefix and a[end - 1] == b[end - 1]:
        end -= 1
    span = end - prefix
    for j in range(1, span + 1):
        b_state = b[prefix + j - 1]
        column = j * stride
        previous = column - stride
        for i in range(1, span + 1):
            a_state = a[prefix + i - 1]
            minimum = fmat[previous + i]
            left = fmat[column + i - 1]
            if left < minimum:
                minimum = left
            minimum += indel
            if a_state == b_state:
                substitution = fmat[previous + i - 1]
            else:
                substitution = fmat[previous + i - 1] + sub[a_state, b_state]
            fmat[column + i] = substitution if substitution < minimum else minimum
    return fmat[span * stride + span]


@njit(cache=True)
def _om_row(sequences, i, sub, indel, out, fmat, stride):
    n = sequences.shape[0]
    start = condensed_row_start(i, n)
    a = sequences[i]
    for j in range(i + 1, n):
        out[start + j] = _om_pair(a, sequences[j], sub, indel, fmat, stride)


@njit(cache=True, parallel=True)
def _om_condensed(sequences, sub, indel, out):
    n = sequences.shape[0]
    stride = sequences.shape[1] + 1
    # Rows i and n-1-i together so that every task has n-1 pairs (prange splits evenly).
    for task in prange((n + 1) // 2):
        fmat = np.empty(stride * stride)
        _init_borders(fmat, stride, indel)
        _om_row(sequences, task, sub, indel, out, fmat, stride)
        mirror = n - 1 - task
        if mirror != task:
            _om_row(sequences, mirror, sub, indel, out, fmat, stride)


@njit(cache=True, parallel=True)
def _om_cross(sequences, targets, sub, indel, out):
    stride = sequences.shape[1] + 1
    for i in prange(sequences.shape[0]):
        fmat = np.empty(stride * stride)
        _init_borders(fmat, stride, indel)
        for j in range(targets.shape[0]):
            out[i, j] = _om_pair(sequences[i], targets[j], sub, indel, fmat, stride)


def _prepare(sequences, costs, indel, n_states):
    zero_based = validate_sequences(sequences, n_states) - 1
    sub = np.ascontiguousarray(costs, dtype=np.float64)
    if sub.shape != (n_states, n_states):
        raise ValueError(f"costs must be {n_states}x{n_states}")
    if not indel > 0:
        raise ValueError("indel must be positive")
    return np.ascontiguousarray(zero_based), sub, float(indel)


def om_distances(sequences: np.ndarray, costs: np.ndarray, indel: float, n_states: int = N_STATES) -> np.ndarray:
    """Condensed OM distances between all rows (codes 1..n_states, equal lengths)."""
    seqs, sub, indel = _prepare(sequences, costs, indel, n_states)
    out = np.empty(condensed_size(seqs.shape[0]))
    if out.size:
        _om_condensed(seqs, sub, indel, out)
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
    _om_cross(seqs, refs, sub, indel, out)
    return out


def square_form(condensed: np.ndarray) -> np.ndarray:
    """Full symmetric matrix from the condensed vector (for small matrices and tests)."""
    n = int(round((1 + np.sqrt(1 + 8 * condensed.size)) / 2))
    square = np.zeros((n, n))
    rows, cols = np.triu_indices(n, 1)
    square[rows, cols] = condensed
    square[cols, rows] = condensed
    return square
