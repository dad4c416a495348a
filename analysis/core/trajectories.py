"""Trajectory clusters: the single entry point the app calls.

Pipeline (spec "Trajectory clusters"): distinct sequences with counts -> costs
(TRATE estimated on the same sequences by default) -> OM distances -> weighted
Ward cut at k = 2..10 with quality measures -> k fixed or chosen by the largest
ASW -> clusters numbered and named. Above ``exact_max_distinct`` distinct
sequences ("auto"), CLARA replaces the U x U matrix (see ``clara.py``; its
quality measures are estimates).

Cluster numbers 1..k are ordered by size (respondents), largest first; equal
sizes keep the order of their first respondent.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.clara import clara_range, estimate_quality
from analysis.core.costs import default_indel, resolve_costs
from analysis.core.distances import om_distances
from analysis.core.quality import cluster_quality
from analysis.core.sequences import N_STATES, STATUS_LABELS, distinct_sequences, select_years, validate_sequences
from analysis.core.ward import WARD_METHODS, ward_tree
from scoring.alphabet import MIGRATION_STATUSES

STATUS_NAMES = {state.short: state.name for state in MIGRATION_STATUSES.states}
TRANSITION_NAME = MIGRATION_STATUSES.transition
DOMINANCE_SHARE = 0.6
ALGORITHMS = ("auto", "exact", "clara")

Progress = Callable[[float, str], None]


@dataclass
class TrajectoryParams:
    k: int | None = None  # fixed k, else chosen by max ASW over k_range
    k_range: tuple[int, int] = (2, 10)
    method: str = "ward.D"  # or "ward.D2"
    costs: str | np.ndarray = "TRATE"  # "TRATE", "CONSTANT", or a 4x4 matrix
    indel: float | None = None  # None = half the largest substitution cost
    years: tuple[int, int] = (1, 12)
    algorithm: str = "auto"  # "auto" | "exact" | "clara"
    # Above this, CLARA under "auto": exact Ward keeps a working copy of the
    # distances (16 bytes x U^2 / 2), 2.3 GB at 17,000 distinct sequences.
    exact_max_distinct: int = 17000
    random_state: int = 0

    def validate(self) -> None:
        low, high = self.k_range
        if not 2 <= low <= high:
            raise ValueError("k_range must satisfy 2 <= low <= high")
        if self.k is not None and self.k < 2:
            raise ValueError("k must be at least 2")
        if self.method not in WARD_METHODS:
            raise ValueError(f"method must be one of {WARD_METHODS}")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}")
        if self.indel is not None and not self.indel > 0:
            raise ValueError("indel must be positive")

    def ks(self) -> list[int]:
        values = set(range(self.k_range[0], self.k_range[1] + 1))
        if self.k is not None:
            values.add(self.k)
        return sorted(values)


@dataclass
class TrajectoryResult:
    labels: np.ndarray  # per input row, 1..k, numbered by cluster size (largest first)
    names: dict[int, str]  # cluster number -> name
    k: int
    costs: np.ndarray
    indel: float
    quality: pd.DataFrame  # index k; ASW, ASWw, PBC, HG, HGSD, HC, R2, CH, R2sq, CHsq (+ AMS, mean_distance for clara)
    n_distinct: int
    algorithm: str  # "exact" or "clara" (what ran)
    method: str
    state_shares: pd.DataFrame  # cluster number x status (NM, MG, LB1, LB2): share of person-years

    def to_dict(self) -> dict:
        def number(value):
            value = float(value)
            return value if math.isfinite(value) else None

        return {
            "labels": [int(label) for label in self.labels],
            "names": {str(cluster): name for cluster, name in self.names.items()},
            "k": int(self.k),
            "costs": [[float(c) for c in row] for row in self.costs],
            "indel": float(self.indel),
            "quality": [
                {"k": int(k), **{column: number(value) for column, value in row.items()}}
                for k, row in self.quality.iterrows()
            ],
            "n_distinct": int(self.n_distinct),
            "algorithm": self.algorithm,
            "method": self.method,
            "state_shares": {
                str(cluster): {status: float(share) for status, share in row.items()}
                for cluster, row in self.state_shares.iterrows()
            },
        }


def cluster_name(shares: pd.Series) -> str:
    """Dominant status when it fills at least 60 % of the cluster's person-years, else "transition"."""
    status = shares.idxmax()
    return STATUS_NAMES[status] if shares[status] >= DOMINANCE_SHARE else TRANSITION_NAME


def name_clusters(state_shares: pd.DataFrame) -> dict[int, str]:
    """Names in cluster-number order; a repeated name gets " 2", " 3", ..."""
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for cluster, shares in state_shares.iterrows():
        base = cluster_name(shares)
        seen[base] = seen.get(base, 0) + 1
        names[int(cluster)] = base if seen[base] == 1 else f"{base} {seen[base]}"
    return names


def number_by_size(distinct_labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Map labels 0..k-1 (first-appearance order) to 1..k by total weight, largest first, stable."""
    sizes = np.bincount(distinct_labels, weights=weights)
    order = np.argsort(-sizes, kind="stable")
    numbers = np.empty_like(order)
    numbers[order] = np.arange(1, order.size + 1)
    return numbers[distinct_labels]


def state_shares(sequences: np.ndarray, weights: np.ndarray, clusters: np.ndarray, k: int) -> pd.DataFrame:
    """Share of each status among the person-years of each cluster (rows 1..k)."""
    per_sequence = np.stack([(sequences == code).sum(axis=1) for code in MIGRATION_STATUSES.codes], axis=1)
    years = np.zeros((k, N_STATES))
    np.add.at(years, clusters - 1, per_sequence * weights[:, None])
    shares = years / years.sum(axis=1, keepdims=True)
    return pd.DataFrame(shares, index=pd.Index(range(1, k + 1), name="cluster"), columns=list(STATUS_LABELS))


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress:
        progress(fraction, message)


def _exact(distinct, costs, indel, params, ks, progress):
    _report(progress, 0.1, f"Computing OM distances between {distinct.n_distinct} distinct sequences")
    condensed = om_distances(distinct.sequences, costs, indel)
    _report(progress, 0.5, f"Ward clustering ({params.method})")
    tree = ward_tree(condensed, distinct.weights, params.method)
    partitions = {k: tree.cut(k) for k in ks}
    _report(progress, 0.7, "Cluster quality for each k")
    quality = cluster_quality(condensed, distinct.weights, partitions)
    return partitions, quality


def _clara(distinct, costs, indel, params, ks, progress):
    _report(progress, 0.1, f"CLARA on {distinct.n_distinct} distinct sequences")

    def sample_done(fraction):
        _report(progress, 0.1 + 0.7 * fraction, "CLARA samples")

    best = clara_range(
        distinct.sequences, distinct.weights, costs, indel, ks, random_state=params.random_state, progress=sample_done
    )
    _report(progress, 0.8, "Estimating cluster quality on a subsample")
    quality = estimate_quality(
        distinct.sequences, distinct.weights, best, costs, indel, random_state=params.random_state
    )
    return {k: partition.labels for k, partition in best.items()}, quality


def cluster_trajectories(
    sequences: np.ndarray, params: TrajectoryParams | None = None, progress: Progress | None = None
) -> TrajectoryResult:
    """Cluster the status sequences (n x 12, codes 1..4) of the analytic sample."""
    params = params or TrajectoryParams()
    params.validate()
    _report(progress, 0.0, "Preparing sequences")
    window = select_years(validate_sequences(sequences), params.years)
    distinct = distinct_sequences(window)
    ks = [k for k in params.ks() if k <= distinct.n_distinct]
    if params.k is not None and params.k not in ks or not ks:
        raise ValueError(f"only {distinct.n_distinct} distinct sequences: too few for the requested clusters")
    costs = resolve_costs(params.costs, distinct.sequences, distinct.weights)
    indel = float(params.indel) if params.indel is not None else default_indel(costs)
    use_clara = params.algorithm == "clara" or (
        params.algorithm == "auto" and distinct.n_distinct > params.exact_max_distinct
    )
    run = _clara if use_clara else _exact
    partitions, quality = run(distinct, costs, indel, params, ks, progress)

    in_range = [k for k in ks if params.k_range[0] <= k <= params.k_range[1]]
    chosen = params.k if params.k is not None else int(quality.loc[in_range, "ASW"].astype(float).idxmax())
    _report(progress, 0.95, f"Naming {chosen} clusters")
    distinct_clusters = number_by_size(partitions[chosen], distinct.weights)
    shares = state_shares(distinct.sequences, distinct.weights, distinct_clusters, chosen)
    result = TrajectoryResult(
        labels=distinct_clusters[distinct.inverse],
        names=name_clusters(shares),
        k=chosen,
        costs=costs,
        indel=indel,
        quality=quality,
        n_distinct=distinct.n_distinct,
        algorithm="clara" if use_clara else "exact",
        method=params.method,
        state_shares=shares,
    )
    _report(progress, 1.0, "Done")
    return result
