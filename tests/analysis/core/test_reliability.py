"""Cronbach's alpha and the one-factor score of teacher's attitude."""

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.multivariate.factor import Factor

from analysis.core.reliability import (
    alpha_table,
    cronbach_alpha,
    keyed_items,
    one_factor_scores,
    scale_item_codes,
    tatt_factor_score,
)
from scoring.instrument import default_instrument
from tests.paths import REFERENCE_DIR

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


def test_alpha_of_a_hand_worked_case():
    # item variances 5/3 and 1/3, total scores 3,4,6,7 with variance 10/3: alpha = 2 (1 - 2 / (10/3)) = 0.8
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 3]})
    result = cronbach_alpha(items)
    assert result.alpha == pytest.approx(0.8)
    assert (result.items, result.n) == (2, 4)


def test_alpha_uses_complete_cases_and_equals_the_covariance_form():
    rng = np.random.default_rng(0)
    items = pd.DataFrame(rng.integers(1, 6, size=(50, 4)) + rng.integers(0, 3, size=(50, 1)), columns=list("abcd"))
    with_missing = items.astype(float)
    with_missing.iloc[0, 1] = np.nan
    covariance = items.iloc[1:].cov().to_numpy()
    expected = 4 / 3 * (1 - np.trace(covariance) / covariance.sum())
    result = cronbach_alpha(with_missing)
    assert result.n == 49
    assert result.alpha == pytest.approx(expected)


def test_reverse_keyed_items_are_flipped():
    frame = pd.DataFrame({"rsca01": [1, 5, np.nan], "rsca03": [1, 5, 2]})
    keyed = keyed_items(frame, ["rsca01", "rsca03"], BUNDLED)
    assert keyed["rsca01"].tolist()[:2] == [5.0, 1.0] and np.isnan(keyed["rsca01"].iloc[2])
    assert keyed["rsca03"].tolist() == [1.0, 5.0, 2.0]


def test_scale_items_come_from_the_instrument():
    assert len(scale_item_codes("rsca", BUNDLED)) == 27
    assert scale_item_codes("dep", BUNDLED) == [f"dep{i}" for i in range(1, 7)]
    assert len(scale_item_codes("rsca_indiv", BUNDLED)) == 15
    assert scale_item_codes("tatt", BUNDLED) == ["tatt1", "tatt2", "tatt3"]


def test_rsca_alpha_on_the_reference_analytic_sample_matches_the_readme():
    readme = (REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    published = float(re.search(r"RSCA alpha on the analytic sample:\s*([0-9.]+\d)", readme).group(1))
    raw = pd.read_csv(REFERENCE_DIR / "cohort_1500.csv")
    scored = pd.read_csv(REFERENCE_DIR / "cohort_1500_scored.csv")
    analytic = raw.merge(scored[["pid", "analytic"]], on="pid").query("analytic == 1")
    table = alpha_table(analytic, BUNDLED).set_index("scale")
    assert round(table.loc["rsca", "alpha"], 4) == published
    assert table.loc["rsca", "n"] == 1300
    for scale in ("rsca_goal", "rsca_affect", "rsca_positive", "rsca_family", "rsca_help", "dep", "pcr_father", "pcr_mother", "tatt"):
        assert scale in table.index


def one_factor_data(n=600, seed=3, loadings=(0.8, 0.6, 0.5)):
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    loadings = np.array(loadings)
    items = factor[:, None] * loadings + rng.normal(size=(n, len(loadings))) * np.sqrt(1 - loadings**2)
    return factor, pd.DataFrame(items, columns=[f"item{i + 1}" for i in range(len(loadings))])


def test_three_item_loadings_are_the_closed_form_and_the_ml_solution():
    _, items = one_factor_data()
    result = one_factor_scores(items)
    r = items.corr().to_numpy()
    closed_form = np.sqrt([r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]])
    assert result.converged
    np.testing.assert_allclose(result.loadings, closed_form, rtol=1e-6)
    ml = Factor(items.to_numpy(), n_factor=1, method="ml").fit()
    np.testing.assert_allclose(np.abs(ml.loadings.ravel()), result.loadings, rtol=1e-5)


def test_scores_are_standardised_regression_scores_with_higher_meaning_more():
    factor, items = one_factor_data()
    result = one_factor_scores(-items)  # reflected items: the sign rule still makes loadings positive
    assert (result.loadings > 0).all()
    assert result.scores.mean() == pytest.approx(0, abs=1e-12)
    assert result.scores.std(ddof=1) == pytest.approx(1)
    ml = Factor(items.to_numpy(), n_factor=1, method="ml").fit()
    thurstone = ml.factor_scoring(method="regression").ravel()
    assert abs(np.corrcoef(thurstone, result.scores)[0, 1]) == pytest.approx(1, abs=1e-9)
    assert np.corrcoef(factor, result.scores)[0, 1] < 0  # scores of reflected items go the other way


def test_tatt_score_is_missing_where_an_item_is_missing():
    _, items = one_factor_data(200)
    frame = pd.DataFrame({"tatt1": items["item1"], "tatt2": items["item2"], "tatt3": items["item3"]})
    frame.loc[5, "tatt2"] = np.nan
    result = tatt_factor_score(frame, BUNDLED)
    assert np.isnan(result.scores.loc[5])
    assert result.scores.notna().sum() == 199 == result.n
