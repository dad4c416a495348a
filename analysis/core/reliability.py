"""Scale reliability (Cronbach's alpha) and the teacher's-attitude factor score.

Items, reverse keys and scales come from the instrument, so a study that
changes the dictionary gets matching reliability figures. Plain Python: no
Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.instrument import COMPOSITE_SCALES, TEACHER_ATTITUDE, Instrument


@dataclass(frozen=True)
class Alpha:
    alpha: float
    items: int
    n: int  # complete cases used


def cronbach_alpha(items: pd.DataFrame) -> Alpha:
    """Raw alpha on complete cases, as psych::alpha's ``raw_alpha``:
    k/(k-1) * (1 - sum of item variances / variance of the item total)."""
    complete = items.dropna().to_numpy(dtype=float)
    n, k = complete.shape
    if k < 2 or n < 2:
        return Alpha(float("nan"), k, n)
    item_variances = complete.var(axis=0, ddof=1).sum()
    total_variance = complete.sum(axis=1).var(ddof=1)
    alpha = k / (k - 1) * (1 - item_variances / total_variance) if total_variance > 0 else float("nan")
    return Alpha(float(alpha), k, n)


def keyed_items(frame: pd.DataFrame, codes: list[str], instrument: Instrument) -> pd.DataFrame:
    """The items with reverse-keyed ones flipped (lowest + highest option - answer)."""
    keyed = {}
    for code in codes:
        values = pd.to_numeric(frame[code], errors="coerce").astype(float)
        variable = instrument[code]
        if variable.reverse:
            options = variable.option_codes
            values = min(options) + max(options) - values
        keyed[code] = values
    return pd.DataFrame(keyed, index=frame.index)


def scale_item_codes(scale: str, instrument: Instrument) -> list[str]:
    """Item codes of a scale: an item scale, a composite, or ``rsca`` (every ``rsca*`` item)."""
    if scale == "rsca":
        parts = instrument.scales_with_prefix("rsca")
        return [variable.code for variable in instrument.variables if variable.kind == "item" and variable.scale in parts]
    return list(instrument.scale_codes(scale))


def reliability_scales(instrument: Instrument) -> list[str]:
    """RSCA total, its subscales and two powers, then every other item scale and composite."""
    rsca_subscales = instrument.scales_with_prefix("rsca")
    others = [
        v.scale for v in instrument.variables if v.kind == "item" and v.scale and not v.scale.startswith("rsca")
    ]
    rsca_composites = [name for name, parts in COMPOSITE_SCALES.items() if all(part in rsca_subscales for part in parts)]
    other_composites = [name for name in COMPOSITE_SCALES if name not in rsca_composites]
    scales = ["rsca", *rsca_subscales, *rsca_composites, *dict.fromkeys(others), *other_composites]
    return list(dict.fromkeys(scales))


def alpha_table(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Cronbach's alpha of every scale on ``frame`` (complete cases per scale)."""
    rows = []
    for scale in reliability_scales(instrument):
        codes = scale_item_codes(scale, instrument)
        if not codes or not set(codes) <= set(frame.columns):
            continue
        result = cronbach_alpha(keyed_items(frame, codes, instrument))
        rows.append({"scale": scale, "items": result.items, "n": result.n, "alpha": result.alpha})
    return pd.DataFrame(rows, columns=["scale", "items", "n", "alpha"])


@dataclass
class FactorScore:
    """One-factor solution and standardised regression scores."""

    scores: pd.Series  # aligned with the input rows; missing where an item is missing
    loadings: pd.Series
    communalities: pd.Series
    iterations: int
    converged: bool
    n: int
    method: str = "iterated principal axis (minres); regression (Thurstone) scores, standardised"

    def to_dict(self) -> dict:
        return {
            "loadings": {k: float(v) for k, v in self.loadings.items()},
            "communalities": {k: float(v) for k, v in self.communalities.items()},
            "iterations": self.iterations,
            "converged": self.converged,
            "n": self.n,
            "method": self.method,
        }


MAX_COMMUNALITY = 0.995  # psych::fa bounds uniquenesses at 0.005 (a Heywood case stops there)


def one_factor_scores(items: pd.DataFrame, *, tolerance: float = 1e-13, max_iterations: int = 1000) -> FactorScore:
    """First-factor scores of the items over the complete rows.

    Extraction by iterated principal axis, which converges to the minres
    (ULS) solution of psych::fa's default; with three items the one-factor
    model is just identified, so this is also the ML solution (``converged``
    is false when nearly uncorrelated items leave it undetermined). Scores by the
    regression method (Thurstone: Z R^-1 lambda) as psych::factor.scores,
    then rescaled to mean 0, SD 1; the sign makes the loadings sum positive,
    so a higher score means more of what the items measure.
    """
    complete = items.dropna()
    values = complete.to_numpy(dtype=float)
    correlation = np.corrcoef(values, rowvar=False)
    communality = 1 - 1 / np.diag(np.linalg.inv(correlation))  # squared multiple correlations
    for iteration in range(1, max_iterations + 1):  # noqa: B007  (the count is reported after the loop)
        reduced = correlation.copy()
        np.fill_diagonal(reduced, communality)
        eigenvalues, eigenvectors = np.linalg.eigh(reduced)
        loadings = eigenvectors[:, -1] * np.sqrt(max(eigenvalues[-1], 0.0))
        updated = np.minimum(loadings**2, MAX_COMMUNALITY)
        converged = np.max(np.abs(updated - communality)) < tolerance
        communality = updated
        if converged:
            break
    if loadings.sum() < 0:
        loadings = -loadings
    standardised = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)
    raw_scores = standardised @ np.linalg.solve(correlation, loadings)
    scores = (raw_scores - raw_scores.mean()) / raw_scores.std(ddof=1)
    return FactorScore(
        scores=pd.Series(scores, index=complete.index).reindex(items.index),
        loadings=pd.Series(loadings, index=items.columns),
        communalities=pd.Series(communality, index=items.columns),
        iterations=iteration,
        converged=bool(converged),
        n=len(complete),
    )


def tatt_factor_score(frame: pd.DataFrame, instrument: Instrument) -> FactorScore:
    """Teacher's attitude: the first-factor score of its items (tatt1..tatt3) over the rows of ``frame``."""
    items = list(instrument.scale_codes(TEACHER_ATTITUDE))
    return one_factor_scores(frame[items].apply(pd.to_numeric, errors="coerce").astype(float))
