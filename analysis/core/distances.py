"""Optimal matching (Needleman-Wunsch) distances between equal-length status sequences.

Each pair is computed cell by cell as TraMineR's OMdistance does (common prefix
and suffix skipped, borders ``i * indel``, ``min(up, left) + indel`` against
``diagonal + substitution``), so the distances agree with TraMineR to the last
bit: Ward's tie-breaking depends on it.

Two kernels with the same arithmetic: ``_sweep`` computes one pair at a time;
the lane kernel (``_sweep_lanes``, what ``om_distances`` runs when a sequence
fits in a 64-bit key) computes LANES pairs in lockstep, vectorised across the
pairs, every cell by the same floating-point operations, so the two agree bit
for bit (tested on random cohorts with ties).

Condensed layout: pair (i, j), i < j, at ``i * U - i * (i + 1) // 2 + j - i - 1``
(scipy's layout, and the order of R's ``dist``).
"""

import numpy as np
from numba import get_num_threads, njit, prange
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from analysis.core.costs import validate_costs
from analysis.core.sequences import N_STATES, validate_sequences

LANES = 32  # sequences ``a`` whose distances the lane kernel computes in lockstep


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




@njit(cache=True)
def _lane_anchor(overrides, border, lane, prefix):
    """Lane ``lane``'s fixed cells for a table anchored at ``prefix``: where min(r, c) <= prefix the
    cell is TraMineR's border (max(r, c) - prefix) * indel (cells above or left of the anchor are
    never read); elsewhere -1 (computed). Tables are (column, row * LANES + lane)."""
    size = overrides.shape[0]
    for c in range(size):
        for r in range(size):
            if min(r, c) <= prefix:
                overrides[c, r * LANES + lane] = border[max(max(r, c) - prefix, 0)]
            else:
                overrides[c, r * LANES + lane] = -1.0


@njit(cache=True, inline="always")
def _span(lane_key, b_key, length, shift):
    """Common prefix p of two sequences from their packed keys (2**shift bits a state, first state
    highest), and the end e of the span before the common suffix (e = L when they are equal, so
    that (e, e) is a border cell: 0)."""
    differ = lane_key ^ b_key
    prefix = (np.int64(leading_zeros(differ)) - (64 - (length << shift))) >> shift
    end = length - min(np.int64(trailing_zeros(differ)) >> shift, length)
    return prefix, max(end, prefix)


@njit(cache=True)
def _fill_lane_column(previous, column, cost, fixed, fixed_rows, indel, left):
    """One column of every lane's table from the previous one, vectorised across the lanes: the
    cell is min(diagonal + sub, min(up, left) + indel), TraMineR's value (rounding is monotonic:
    min(up, left) + indel is min(up + indel, left + indel)); rows up to ``fixed_rows`` take the
    lane's border where it has one. ``left`` (one value per lane) is scratch.

    Written for LLVM's loop vectoriser: unsigned indices (numba's wraparound test on signed ones
    turns the loads into gathers), the lane count read from ``left`` (a constant count is unrolled
    before it can be vectorised), and not inlined by numba (which hides the separate arrays).
    """
    lanes = np.uint64(left.shape[0])
    for k in range(lanes):
        left[k] = column[k] = fixed[k]
    for r in range(np.uint64(1), np.uint64(fixed_rows + 1)):
        cell = r * lanes
        above = cell - lanes
        for k in range(lanes):
            diagonal = previous[above + k] + cost[cell + k]
            up = previous[cell + k]
            nearer = up if up < left[k] else left[k]
            nearer = nearer + indel
            best = diagonal if diagonal < nearer else nearer
            value = fixed[cell + k] if fixed[cell + k] >= 0.0 else best
            left[k] = value
            column[cell + k] = value
    for r in range(np.uint64(fixed_rows + 1), np.uint64(column.shape[0]) // lanes):
        cell = r * lanes
        above = cell - lanes
        for k in range(lanes):
            diagonal = previous[above + k] + cost[cell + k]
            up = previous[cell + k]
            nearer = up if up < left[k] else left[k]
            nearer = nearer + indel
            best = diagonal if diagonal < nearer else nearer
            left[k] = best
            column[cell + k] = best


@njit(cache=True)
def _sweep_lanes(lanes_a, lane_keys, min_b, base, step, sequences, keys, shift, order, lcp_previous, lo, hi, sub, indel, out):
    """Distances from the LANES sequences ``lanes_a`` (L x LANES) to ``sequences[order[lo:hi]]``, in lockstep.

    Lane k writes ``out[base[k] + b * step]`` for every b > min_b[k]. A lane's table is the pair's
    table as ``_sweep`` fills it, anchored at the common prefix p (borders (i - p) * indel) and read
    at (e, e), e the end of the span before the common suffix; the lanes share global coordinates
    (column c has read b[:c]), so that when b follows its predecessor in lexicographic order the
    columns of their common prefix stay valid for every lane (a lane's anchor moves only where
    p >= that prefix) and only the later columns are computed, with the arithmetic of ``_sweep``
    cell for cell (hence the same bits), LANES pairs at a time.
    """
    length = lanes_a.shape[0]
    size = length + 1
    n_states = sub.shape[0]
    border = np.empty(size)
    for i in range(size):
        border[i] = i * indel
    costs = np.zeros((n_states, size * LANES))
    for state in range(n_states):
        for r in range(1, size):
            for k in range(LANES):
                costs[state, r * LANES + k] = sub[lanes_a[r - 1, k], state]
    table = np.empty((size, size * LANES))
    overrides = np.empty((size, size * LANES))
    anchor = np.full(LANES, -1, dtype=np.int64)
    end = np.empty(LANES, dtype=np.int64)
    left = np.empty(LANES)
    lowest = min_b.min()
    valid = -1
    shared = 0
    for s in range(lo, hi):
        b_index = order[s]
        if s > lo:
            shared = min(shared, lcp_previous[s])
        if b_index <= lowest:
            continue
        b = sequences[b_index]
        b_key = keys[b_index]
        first = min(valid, shared) + 1
        last = 0
        deepest = 0
        for k in range(LANES):
            prefix, end[k] = _span(lane_keys[k], b_key, length, shift)
            if prefix != anchor[k]:
                anchor[k] = prefix
                _lane_anchor(overrides, border, k, prefix)
                first = min(first, prefix)
            last = max(last, end[k])
            deepest = max(deepest, prefix)
        if first == 0:
            table[0] = overrides[0]
            first = 1
        for c in range(first, last + 1):
            fixed_rows = length if c <= deepest else deepest
            _fill_lane_column(table[c - 1], table[c], costs[b[c - 1]], overrides[c], fixed_rows, indel, left)
        valid = max(last, min(valid, shared))
        shared = length
        for k in range(LANES):
            if b_index > min_b[k]:
                out[base[k] + b_index * step] = table[end[k], end[k] * LANES + k]


@njit(cache=True)
def _lane_rows(rows, row_keys, group):
    """The ``LANES`` rows of ``group`` as the columns of one array, with their packed keys, and each lane's row
    index (-1 for a lane of a last short group, which repeats the last row and writes nothing)."""
    count, length = rows.shape
    lanes = np.empty((length, LANES), dtype=np.int64)
    lane_keys = np.empty(LANES, dtype=np.uint64)
    real = np.full(LANES, -1, dtype=np.int64)
    for k in range(LANES):
        row = min(group * LANES + k, count - 1)
        lanes[:, k] = rows[row]
        lane_keys[k] = row_keys[row]
        if group * LANES + k < count:
            real[k] = row
    return lanes, lane_keys, real


@njit(cache=True)
def _condensed_group(sequences, keys, shift, order, lcp_previous, sub, indel, out, group):
    """Rows group * LANES .. + LANES - 1 of the condensed matrix (a last short group repeats a row
    that writes nothing)."""
    n = sequences.shape[0]
    lanes_a, lane_keys, rows = _lane_rows(sequences, keys, group)
    min_b = np.full(LANES, n, dtype=np.int64)
    base = np.zeros(LANES, dtype=np.int64)
    for k in range(LANES):
        if rows[k] >= 0:
            min_b[k] = rows[k]
            base[k] = condensed_row_start(rows[k], n)
    _sweep_lanes(lanes_a, lane_keys, min_b, base, 1, sequences, keys, shift, order, lcp_previous, 0, n, sub, indel, out)


@njit(cache=True, parallel=True)
def _om_condensed_lanes(sequences, keys, shift, order, lcp_previous, sub, indel, out):
    n = sequences.shape[0]
    n_groups = (n + LANES - 1) // LANES
    # Groups g and n_groups-1-g together: every task has about the same number of pairs.
    for task in prange((n_groups + 1) // 2):
        _condensed_group(sequences, keys, shift, order, lcp_previous, sub, indel, out, task)
        if n_groups - 1 - task != task:
            _condensed_group(sequences, keys, shift, order, lcp_previous, sub, indel, out, n_groups - 1 - task)


@njit(cache=True, parallel=True)
def _om_cross_lanes(sequences, keys, targets, target_keys, shift, order, lcp_previous, sub, indel, out, n_chunks):
    n = sequences.shape[0]
    n_targets = targets.shape[0]
    flat = out.reshape(n * n_targets)
    n_groups = (n_targets + LANES - 1) // LANES
    for task in prange(n_groups * n_chunks):
        group, chunk = task // n_chunks, task % n_chunks
        lanes_a, lane_keys, rows = _lane_rows(targets, target_keys, group)
        min_b = np.full(LANES, n, dtype=np.int64)
        base = np.zeros(LANES, dtype=np.int64)
        for k in range(LANES):
            if rows[k] >= 0:
                min_b[k] = -1
                base[k] = rows[k]
        lo = chunk * n // n_chunks
        hi = (chunk + 1) * n // n_chunks
        _sweep_lanes(
            lanes_a, lane_keys, min_b, base, n_targets, sequences, keys, shift, order, lcp_previous, lo, hi, sub, indel, flat
        )


def _lexicographic_order(sequences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort order of the rows and, per sorted position, the common prefix length with the previous row."""
    order = np.lexsort(sequences.T[::-1])
    ordered = sequences[order]
    equal = np.cumprod(ordered[1:] == ordered[:-1], axis=1)
    lcp_previous = np.concatenate([[0], equal.sum(axis=1)]).astype(np.int64)
    return order.astype(np.int64), lcp_previous


def packed_keys(sequences: np.ndarray, n_states: int) -> tuple[np.ndarray, int] | None:
    """Each 0-based sequence as one unsigned 64-bit key, 2**shift bits a state, the first state
    highest (so that two keys' xor gives the common prefix and suffix), or None if too long."""
    shift = (max((n_states - 1).bit_length(), 1) - 1).bit_length()  # 2**shift >= the bits of a state
    if sequences.shape[1] << shift > 64:
        return None
    powers = np.left_shift(np.uint64(1), (np.arange(sequences.shape[1] - 1, -1, -1) << shift).astype(np.uint64))
    return (sequences.astype(np.uint64) * powers).sum(axis=1, dtype=np.uint64), shift


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
        packed = packed_keys(seqs, n_states)
        if packed is None:
            _om_condensed(seqs, order, lcp_previous, sub, indel, out)
        else:
            _om_condensed_lanes(seqs, packed[0], packed[1], order, lcp_previous, sub, indel, out)
    return out


def om_distances_pairwise(sequences: np.ndarray, costs: np.ndarray, indel: float, n_states: int = N_STATES) -> np.ndarray:
    """``om_distances`` one pair at a time (the kernel for sequences too long for 64-bit keys;
    the reference the lane kernel is tested against)."""
    seqs, sub, indel = _prepare(sequences, costs, indel, n_states)
    out = np.empty(condensed_size(seqs.shape[0]))
    if out.size:
        _om_condensed(seqs, *_lexicographic_order(seqs), sub, indel, out)
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
        packed, target_packed = packed_keys(seqs, n_states), packed_keys(refs, n_states)
        if packed is None or target_packed is None or refs.shape[0] < LANES // 4:  # lanes mostly idle
            n_chunks = max(1, min(4 * get_num_threads() // max(refs.shape[0], 1), seqs.shape[0] // 256))
            _om_cross(seqs, order, lcp_previous, refs, sub, indel, out, n_chunks)
        else:
            n_groups = -(-refs.shape[0] // LANES)
            n_chunks = max(1, min(4 * get_num_threads() // n_groups, seqs.shape[0] // 256))
            _om_cross_lanes(
                seqs, packed[0], refs, target_packed[0], packed[1], order, lcp_previous, sub, indel, out, n_chunks
            )
    return out


def square_form(condensed: np.ndarray) -> np.ndarray:
    """Full symmetric matrix from the condensed vector (for small matrices and tests)."""
    n = int(round((1 + np.sqrt(1 + 8 * condensed.size)) / 2))
    square = np.zeros((n, n))
    rows, cols = np.triu_indices(n, 1)
    square[rows, cols] = condensed
    square[cols, rows] = condensed
    return square
