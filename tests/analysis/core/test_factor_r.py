"""The teacher's-attitude factor score against ``psych::fa`` (minres, one factor, regression scores).

psych finds the minres solution with ``optim`` (its own stopping rule), so
the loadings agree to about 1e-7 and the standardised scores to about 1e-6;
with three items the one-factor solution has a closed form
(loading_i^2 = r_ij r_ik / r_jk), which the project's iteration reaches to 1e-12.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.core.reliability import one_factor_scores, tatt_factor_score
from scoring.instrument import default_instrument
from tests.analysis.core.cohort_frames import analytic_cohort
from tests.rscript import require_r, run_r

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)

R_FA = r"""
suppressPackageStartupMessages(library(psych))
d <- read.csv("items.csv")
f <- fa(d, nfactors = 1, fm = "minres", rotate = "none", scores = "regression")
writeLines(sprintf("%.17g", f$scores[, 1]), "scores.txt")
writeLines(sprintf("%.17g", f$loadings[, 1]), "loadings.txt")
"""


def psych_fa(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    folder = run_r(R_FA, {"items": items})
    scores = np.loadtxt(folder / "scores.txt")
    return np.loadtxt(folder / "loadings.txt"), (scores - scores.mean()) / scores.std(ddof=1)


def five_correlated_items(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    """Five 1-5 items of one factor with unequal loadings: no closed form, psych's optimiser decides."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.35])
    latent = factor[:, None] * loadings + rng.normal(size=(n, 5)) * np.sqrt(1 - loadings**2)
    return pd.DataFrame(np.clip(np.round(latent * 1.1 + 3), 1, 5), columns=[f"item{i}" for i in range(1, 6)])


@pytest.mark.parametrize(("n", "seed"), [(3000, 11), (5000, 12)])
def test_tatt_scores_equal_psych_fa(n, seed):
    require_r("psych")
    frame = analytic_cohort(n, seed)
    items = frame[["tatt1", "tatt2", "tatt3"]].astype(float)
    ours = tatt_factor_score(frame, BUNDLED)
    loadings, scores = psych_fa(items)
    loading_diff = np.abs(ours.loadings.to_numpy() - loadings).max()
    score_diff = np.abs(ours.scores.to_numpy() - scores).max()
    assert loading_diff < 1e-6 and score_diff < 1e-5
    r = items.corr().to_numpy()
    closed = np.sqrt([r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]])
    assert np.abs(ours.loadings.to_numpy() - closed).max() < 1e-12
    print(f"\nN={n} seed={seed} rows={len(items)} tatt vs psych::fa: loadings {loading_diff:.1e}, scores {score_diff:.1e}")


def test_five_items_equal_psych_fa():
    require_r("psych")
    items = five_correlated_items()
    ours = one_factor_scores(items)
    loadings, scores = psych_fa(items)
    loading_diff = np.abs(ours.loadings.to_numpy() - loadings).max()
    score_diff = np.abs(ours.scores.to_numpy() - scores).max()
    assert ours.converged and loading_diff < 1e-5 and score_diff < 1e-5
    print(f"\nfive items, N={len(items)} vs psych::fa: loadings {loading_diff:.1e}, scores {score_diff:.1e}")
