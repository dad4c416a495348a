"""Substitution and indel costs for optimal matching, computed as TraMineR's seqcost does.

Ward ties are decided by the last bit of the distances, so TRATE costs follow
TraMineR's arithmetic exactly: rates are counts over row totals, and each
upper-triangle cost is ``(2 - p(j|i)) - p(i|j)`` mirrored to the lower triangle
(``2 - P - P.T`` rounds differently and is not exactly symmetric).
"""

import numpy as np

from analysis.core.sequences import N_STATES, validate_sequences

CONSTANT_COST = 2.0
COST_METHODS = ("TRATE", "CONSTANT")  # estimated transition rates, or a constant 2


def transition_counts(sequences: np.ndarray, weights: np.ndarray | None = None, n_states: int = N_STATES) -> np.ndarray:
    """Year-to-year transitions pooled over all years: counts[i, j] = weighted number of i -> j.

    With distinct sequences and their counts as weights this equals the counts on the full data.
    """
    array = validate_sequences(sequences, n_states) - 1
    if weights is None:
        weights = np.ones(array.shape[0])
    pair_index = array[:, :-1] * n_states + array[:, 1:]
    pair_weights = np.repeat(np.asarray(weights, dtype=np.float64), array.shape[1] - 1)
    counts = np.bincount(pair_index.ravel(), weights=pair_weights, minlength=n_states * n_states)
    return counts.reshape(n_states, n_states)


def transition_rates(counts: np.ndarray) -> np.ndarray:
    """p(j|i) = counts[i, j] / row total; a state never left from has rates 0 (TraMineR gives NaN)."""
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = counts / totals
    return np.where(totals > 0, rates, 0.0)


def trate_costs(
    sequences: np.ndarray,
    weights: np.ndarray | None = None,
    n_states: int = N_STATES,
    constant: float = CONSTANT_COST,
) -> np.ndarray:
    """TraMineR seqcost(method="TRATE"): cost(i, j) = (constant - p(j|i)) - p(i|j)."""
    rates = transition_rates(transition_counts(sequences, weights, n_states))
    costs = np.zeros((n_states, n_states))
    for i in range(n_states - 1):
        for j in range(i + 1, n_states):
            costs[i, j] = (constant - rates[i, j]) - rates[j, i]
            costs[j, i] = costs[i, j]
    return costs


def constant_costs(n_states: int = N_STATES, value: float = CONSTANT_COST) -> np.ndarray:
    costs = np.full((n_states, n_states), float(value))
    np.fill_diagonal(costs, 0.0)
    return costs


def validate_costs(matrix: np.ndarray, n_states: int = N_STATES) -> np.ndarray:
    """A user matrix must be n_states x n_states, finite, symmetric, non-negative, zero on the diagonal."""
    costs = np.asarray(matrix, dtype=np.float64)
    if costs.shape != (n_states, n_states):
        raise ValueError(f"cost matrix must be {n_states}x{n_states}, got {costs.shape}")
    if not np.all(np.isfinite(costs)):
        raise ValueError("cost matrix must be finite")
    if np.any(costs < 0):
        raise ValueError("cost matrix must be non-negative")
    if np.any(np.diag(costs) != 0):
        raise ValueError("cost matrix must have a zero diagonal")
    if not np.array_equal(costs, costs.T):
        raise ValueError("cost matrix must be symmetric")
    return costs.copy()


def default_indel(costs: np.ndarray) -> float:
    """TraMineR's default: half the largest substitution cost."""
    return float(np.max(costs)) / 2.0


def resolve_costs(
    spec: str | np.ndarray,
    sequences: np.ndarray,
    weights: np.ndarray | None = None,
    n_states: int = N_STATES,
) -> np.ndarray:
    """"TRATE" (estimated on the given sequences), "CONSTANT" (2) or a user matrix."""
    if isinstance(spec, str):
        name = spec.upper()
        if name == "TRATE":
            return trate_costs(sequences, weights, n_states)
        if name == "CONSTANT":
            return constant_costs(n_states)
        raise ValueError(f"unknown cost method {spec!r}: use 'TRATE', 'CONSTANT' or a matrix")
    return validate_costs(spec, n_states)
