"""Distinct status sequences with their counts.

Sequences repeat a lot, so every trajectory computation works on the U distinct
sequences, ordered by first appearance in the data (the order that makes
weighted Ward reproduce R's hclust on the full matrix), with their counts as
weights and the map back to the input rows.
"""

from dataclasses import dataclass

import numpy as np

from scoring.alphabet import MIGRATION_STATUSES

N_STATES = len(MIGRATION_STATUSES)
STATUS_LABELS = MIGRATION_STATUSES.shorts
SEQUENCE_LENGTH = 12


@dataclass(frozen=True)
class DistinctSequences:
    sequences: np.ndarray  # U x L int64 codes 1..n_states, first-appearance order
    weights: np.ndarray  # U float64 counts
    inverse: np.ndarray  # n int64: input row -> index of its distinct sequence

    @property
    def n_distinct(self) -> int:
        return self.sequences.shape[0]


def validate_sequences(sequences: np.ndarray, n_states: int = N_STATES) -> np.ndarray:
    """Return the sequences as a 2-D int64 array, refusing codes outside 1..n_states."""
    array = np.asarray(sequences)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError("sequences must be a non-empty 2-D array (rows x years)")
    if not np.issubdtype(array.dtype, np.integer) and (not np.all(np.isfinite(array)) or np.any(array != np.round(array))):
        raise ValueError("sequences must hold integer status codes")
    array = array.astype(np.int64)
    if array.min() < 1 or array.max() > n_states:
        raise ValueError(f"status codes must be in 1..{n_states}")
    return array


def select_years(sequences: np.ndarray, years: tuple[int, int] = (1, SEQUENCE_LENGTH)) -> np.ndarray:
    """Columns for ages years[0]..years[1] inclusive (1-based), e.g. (4, 12) for the sensitivity run."""
    first, last = years
    if not 1 <= first <= last <= sequences.shape[1]:
        raise ValueError(f"years must satisfy 1 <= first <= last <= {sequences.shape[1]}, got {years}")
    return sequences[:, first - 1 : last]


def distinct_sequences(sequences: np.ndarray, n_states: int = N_STATES) -> DistinctSequences:
    """Deduplicate rows: each row becomes one base-(n_states+1) integer key, then np.unique."""
    array = validate_sequences(sequences, n_states)
    base = n_states + 1
    if array.shape[1] * np.log2(base) >= 63:
        raise ValueError("sequences too long to encode in 64 bits")
    powers = base ** np.arange(array.shape[1] - 1, -1, -1, dtype=np.int64)
    keys = array @ powers
    _, first_rows, inverse_sorted, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first_rows, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return DistinctSequences(
        sequences=array[first_rows[order]],
        weights=counts[order].astype(np.float64),
        inverse=rank[inverse_sorted.ravel()].astype(np.int64),
    )
