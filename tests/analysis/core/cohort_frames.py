"""Analytic frames of generated cohorts for the R-oracle tests: scored, cleaned, with known clusters.

The trajectory cluster is the generator's latent pattern (the clustering has
its own R tests), so the model, matching and factor tests run in seconds.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from analysis.core.pipeline import analysis_frame
from analysis.core.reliability import tatt_factor_score
from analysis.core.synthetic import synthetic_cohort_with_truth
from scoring.cleaning import clean
from scoring.engine import score_wave
from scoring.instrument import default_instrument

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


@lru_cache(maxsize=4)
def analytic_cohort(n: int, seed: int) -> pd.DataFrame:
    """The rows a run keeps for Study A, as the pipeline reads them, with ``traj_label`` and ``tatt``."""
    raw, truth = synthetic_cohort_with_truth(n, seed=seed)
    frame = analysis_frame(raw.join(score_wave(raw)), BUNDLED)
    frame = frame[clean(frame).mask.to_numpy()].copy()
    frame["traj_label"] = truth.set_index("pid").loc[frame["pid"], "pattern_label"].to_numpy()
    frame["tatt"] = tatt_factor_score(frame, BUNDLED).scores
    return frame
