"""A run's results beside the published figures of the two studies (pure pandas, no Django).

The published figures are data, not code: ``analysis/published/study_a.csv``
and ``study_b.csv``, one row per figure with the sentence of METHODS.md it
comes from (``source``) and where our run keeps the same figure
(``our_table``, ``our_term``, ``covariate_set``). Columns:

- ``section``: cluster_shares, model1, model4, interactions, psm (A);
  model2, main_effects, interactions (B)
- ``estimate``, ``se``: as published (empty when the paper gives none)
- ``significant``: yes / no when the paper says so; empty = from the SE
  (|estimate / SE| >= 1.96), or unknown without one.

For every figure :func:`reproduction_table` gives ours and theirs, the
difference, the difference in units of the published SE, and whether sign
and significance (two-sided p < 0.05) agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ALPHA = 0.05
Z_CRITICAL = 1.959963984540054
PSM_METHOD = "nearest"
PUBLISHED_COLUMNS = ["section", "label", "our_table", "our_term", "covariate_set", "estimate", "se", "significant", "source"]
COLUMNS = [
    "study", "section", "label", "ours", "ours_se", "ours_significant", "published", "published_se",
    "published_significant", "difference", "difference_in_se", "sign_agrees", "significance_agrees", "source",
]


def load_published(directory: Path) -> pd.DataFrame:
    """Both studies' published figures (``study_a.csv``, ``study_b.csv``) with a ``study`` column."""
    frames = []
    for study in ("A", "B"):
        frame = pd.read_csv(Path(directory) / f"study_{study.lower()}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        missing = set(PUBLISHED_COLUMNS) - set(frame.columns)
        if missing:
            raise ValueError(f"study_{study.lower()}.csv lacks {sorted(missing)}")
        frame.insert(0, "study", study)
        frames.append(frame)
    published = pd.concat(frames, ignore_index=True)
    for column in ("estimate", "se"):
        published[column] = pd.to_numeric(published[column].replace("", np.nan))
    return published


def _ours(results: dict, row) -> tuple[float, float, float]:
    """(estimate, SE, p) of the run for one published figure; NaN where the run has none."""
    tables = results.get("tables") or {}
    if row.our_table == "cluster_sizes":
        sizes = pd.DataFrame(results.get("cluster_sizes") or [])
        if sizes.empty:
            return np.nan, np.nan, np.nan
        n = sizes.loc[sizes["traj_label"] == row.our_term, "n"]
        return (100.0 * float(n.iloc[0]) / float(sizes["n"].sum()) if len(n) else np.nan), np.nan, np.nan
    table = tables.get(row.our_table)
    if isinstance(table, dict) and "estimates" in table:  # PSM
        for estimate in table["estimates"]:
            if (estimate.get("treated"), estimate.get("covariate_set"), estimate.get("method")) == (
                row.our_term, row.covariate_set, PSM_METHOD,
            ):
                return _number(estimate.get("att")), _number(estimate.get("se")), _number(estimate.get("p"))
        return np.nan, np.nan, np.nan
    if isinstance(table, dict) and "terms" in table:
        for term in table["terms"]:
            if term.get("term") == row.our_term:
                return _number(term.get("coef")), _number(term.get("se")), _number(term.get("p"))
    return np.nan, np.nan, np.nan


def _number(value) -> float:
    return np.nan if value is None else float(value)


def _published_significance(row) -> bool | None:
    if row.significant in ("yes", "no"):
        return row.significant == "yes"
    if pd.notna(row.estimate) and pd.notna(row.se) and row.se > 0:
        return bool(abs(row.estimate / row.se) >= Z_CRITICAL)
    return None


def reproduction_table(results: dict, published: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure: ours, published, difference (also in published SEs), agreement of sign and significance."""
    rows = []
    for row in published.itertuples(index=False):
        ours, ours_se, ours_p = _ours(results, row)
        ours_significant = None if np.isnan(ours_p) else bool(ours_p < ALPHA)
        published_significant = _published_significance(row)
        difference = ours - row.estimate if pd.notna(row.estimate) else np.nan
        both = pd.notna(row.estimate) and not np.isnan(ours)
        rows.append(
            {
                "study": row.study,
                "section": row.section,
                "label": row.label,
                "ours": ours,
                "ours_se": ours_se,
                "ours_significant": ours_significant,
                "published": row.estimate,
                "published_se": row.se,
                "published_significant": published_significant,
                "difference": difference,
                "difference_in_se": difference / row.se if pd.notna(row.se) and row.se > 0 else np.nan,
                "sign_agrees": bool(np.sign(ours) == np.sign(row.estimate)) if both else None,
                "significance_agrees": (
                    ours_significant == published_significant
                    if ours_significant is not None and published_significant is not None
                    else None
                ),
                "source": row.source,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def reproduction_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts for the report's head: figures compared, signs and significances that agree, within 2 published SEs."""
    compared = table["ours"].notna()
    within = table["difference_in_se"].abs() <= 2
    return {
        "figures": int(len(table)),
        "compared": int(compared.sum()),
        "signs_compared": int(table["sign_agrees"].notna().sum()),
        "signs_agree": int((table["sign_agrees"] == True).sum()),  # noqa: E712 (object column of True/False/None)
        "significance_compared": int(table["significance_agrees"].notna().sum()),
        "significance_agrees": int((table["significance_agrees"] == True).sum()),  # noqa: E712
        "with_se": int(table["difference_in_se"].notna().sum()),
        "within_2_se": int(within.sum()),
    }
