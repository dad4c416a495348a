"""Table 1: by-group means, percentages and tests on a case small enough to check by hand."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core.descriptives import STUDY_A_TABLE1, TOTAL, TableVariable, categorical, continuous, table1
from scoring.instrument import DEFAULT_DICTIONARY, build_instrument, default_instrument
from tests.analysis.core.test_models import CLUSTERS, analytic_frame

INSTRUMENT = default_instrument()  # the current version of the data dictionary


def small_frame():
    return pd.DataFrame(
        {
            "cluster": ["a", "a", "a", "b", "b", "c", "c", "c", None],
            "score": [1.0, 2.0, 3.0, 4.0, 6.0, 2.0, np.nan, 4.0, 100.0],
            "gender": [1, 2, 2, 1, 1, 2, 2, 1, 2],
        }
    )


VARIABLES = (continuous("score", "score"), TableVariable("gender", "gender", "categorical", ((1, "boy"), (2, "girl"))))


def test_continuous_rows_give_mean_sd_and_the_anova_p():
    table = table1(small_frame(), "cluster", VARIABLES, instrument=INSTRUMENT)
    assert table.groups == ["a", "b", "c"]
    assert table.group_sizes == {"a": 3, "b": 2, "c": 3, TOTAL: 8}  # the row without a cluster is left out
    assert table.value("score", "a", "mean") == pytest.approx(2.0)
    assert table.value("score", "a", "sd") == pytest.approx(1.0)
    assert table.value("score", "b", "mean") == pytest.approx(5.0)
    assert table.value("score", "c", "n") == 2
    assert table.value("score", TOTAL, "mean") == pytest.approx(22 / 7)
    # one-way ANOVA by hand: grand mean 22/7; SSB and SSW on 2 and 4 df
    grand = 22 / 7
    ssb = 3 * (2 - grand) ** 2 + 2 * (5 - grand) ** 2 + 2 * (3 - grand) ** 2
    ssw = 2.0 + 2.0 + 2.0
    f = (ssb / 2) / (ssw / 4)
    assert table.p("score") == pytest.approx(stats.f.sf(f, 2, 4))


def test_categorical_rows_give_column_percentages_and_the_chi_square_p():
    table = table1(small_frame(), "cluster", VARIABLES, instrument=INSTRUMENT)
    assert table.value("gender", "a", "percent", level=2) == pytest.approx(200 / 3)
    assert table.value("gender", "b", "percent", level=1) == pytest.approx(100.0)
    assert table.value("gender", TOTAL, "count", level=2) == 4
    observed = np.array([[1, 2, 1], [2, 0, 2]])
    expected_p = stats.chi2_contingency(observed, correction=False)[1]
    assert table.p("gender") == pytest.approx(expected_p)


def test_display_form_has_one_row_per_variable_and_level():
    display = table1(small_frame(), "cluster", VARIABLES, instrument=INSTRUMENT, group_order=["c", "b", "a"]).to_frame()
    assert list(display.columns) == ["variable", "level", "c", "b", "a", TOTAL, "p"]
    assert display["variable"].tolist() == ["N", "score, mean (SD)", "gender, %", "", ""]
    assert display.loc[1, "a"] == "2.00 (1.00)"
    assert display.loc[4, "level"] == "girl" and display.loc[4, "b"] == "0.0"


def test_study_a_table_covers_the_model_variables_and_serialises():
    frame = analytic_frame(300)
    table = table1(frame, "traj_label", STUDY_A_TABLE1, instrument=INSTRUMENT, group_order=CLUSTERS)
    assert table.groups == list(CLUSTERS)
    assert set(table.tests["variable"]) == {v.code for v in STUDY_A_TABLE1 if v.code in frame.columns}
    assert table.value("father_edu3", TOTAL, "percent", level=1) == pytest.approx(100 * (frame["father_edu3"] == 1).mean())
    json.dumps(table.to_dict())


def test_means_of_float32_codes_are_computed_in_float64():
    # codes arrive as float32 from the pipeline's compact frame; the means must not be float32 sums
    rng = np.random.default_rng(4)
    codes = rng.integers(1, 6, 20000)
    frame = pd.DataFrame({"cluster": rng.choice(["a", "b"], 20000), "score": codes.astype(np.float32)})
    table = table1(frame, "cluster", (continuous("score", "score"),), instrument=INSTRUMENT)
    exact = codes.astype(np.float64)
    assert table.value("score", TOTAL, "mean") == pytest.approx(exact.mean(), rel=1e-15, abs=0)
    assert table.value("score", TOTAL, "sd") == pytest.approx(exact.std(ddof=1), rel=1e-14, abs=0)
    assert table.cells["mean"].dtype == np.float64


def test_a_categorical_row_shows_the_options_of_the_waves_own_dictionary():
    """Two versions of the dictionary label father's education differently: each table shows its wave's labels."""
    text = DEFAULT_DICTIONARY.read_text(encoding="utf-8-sig")
    renamed = build_instrument(text.replace("3=senior high or above", "3=upper secondary or above"), {}, version="2")
    frame = pd.DataFrame({"cluster": ["a", "a", "b"], "father_edu3": [1, 3, 3]})
    variables = (categorical("father_edu3", "father's education"),)
    labels = {
        version: set(table1(frame, "cluster", variables, instrument=instrument).cells["level_label"])
        for version, instrument in (("1", INSTRUMENT), ("2", renamed))
    }
    assert "senior high or above" in labels["1"] and "upper secondary or above" in labels["2"]
    assert "senior high or above" not in labels["2"]
