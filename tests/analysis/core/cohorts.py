"""Generated cohorts for the R-oracle tests: the pipeline's own steps from questionnaires to distances."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.costs import default_indel, trate_costs
from analysis.core.distances import om_distances, square_form
from analysis.core.pipeline import analysis_frame, analytic_sequences
from analysis.core.sequences import DistinctSequences, distinct_sequences
from analysis.core.synthetic import synthetic_cohort
from scoring.cleaning import clean
from scoring.engine import score_wave
from scoring.instrument import default_instrument
from tests.paths import REFERENCE_DIR

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


@dataclass(frozen=True)
class Cohort:
    sequences: np.ndarray  # analytic rows x 12
    distinct: DistinctSequences
    condensed: np.ndarray  # OM distances (TRATE costs) between the distinct sequences

    @property
    def n_rows(self) -> int:
        return self.sequences.shape[0]


def _cohort(sequences: np.ndarray) -> Cohort:
    distinct = distinct_sequences(sequences)
    costs = trate_costs(distinct.sequences, distinct.weights)
    return Cohort(sequences, distinct, om_distances(distinct.sequences, costs, default_indel(costs)))


@cache
@cache
def reference_cohort() -> Cohort:
    """The reference data's cleaned sequences (``sequences_clean.csv``) and their OM distances (TRATE costs)."""
    return _cohort(pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy())


def analytic_cohort(n: int, seed: int) -> Cohort:
    """Study A's analytic sample of a synthetic wave of ``n`` questionnaires (scored and cleaned)."""
    raw = synthetic_cohort(n, seed=seed)
    frame = analysis_frame(raw.join(score_wave(raw)), BUNDLED)
    _, sequences = analytic_sequences(frame, clean(frame).mask)
    return _cohort(sequences)


@cache
def identical_groups_cohort(n_rows: int, n_distinct: int, seed: int) -> Cohort:
    """Few distinct sequences (taken from a generated wave) in large groups of identical rows
    (Zipf-like counts), rows shuffled."""
    rng = np.random.default_rng(seed)
    source = analytic_cohort(3000, seed).distinct.sequences
    chosen = source[rng.choice(len(source), size=n_distinct, replace=False)]
    shares = 1.0 / np.arange(1, n_distinct + 1)
    rows = np.concatenate([np.arange(n_distinct), rng.choice(n_distinct, size=n_rows - n_distinct, p=shares / shares.sum())])
    rng.shuffle(rows)
    return _cohort(chosen[rows])


def write_full_distances(cohort: Cohort, path: Path) -> None:
    """The full N x N distances as R's ``dist`` stores them (lower triangle by columns, which is
    the condensed upper triangle by rows), float64 little-endian, for ``readBin``."""
    square = square_form(cohort.condensed)
    inverse = cohort.distinct.inverse
    with open(path, "wb") as handle:
        for i in range(inverse.size - 1):
            square[inverse[i], inverse[i + 1 :]].astype("<f8").tofile(handle)


def same_partition(first: np.ndarray, second: np.ndarray) -> bool:
    """Identical up to the names of the clusters: one nonzero cell per row and column of the table."""
    _, a = np.unique(first, return_inverse=True)
    _, b = np.unique(second, return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1), dtype=np.int64)
    np.add.at(table, (a.ravel(), b.ravel()), 1)
    nonzero = table > 0
    return bool(np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1))
