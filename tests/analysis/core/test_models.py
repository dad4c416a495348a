"""OLS tables: hand-checked fits, R's treatment coding, and the two studies' model sets."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.models import (
    CONSTANT,
    Interaction,
    categorical,
    cluster_levels,
    fit_ols,
    fit_study_a,
    fit_study_b,
    indicator,
    numeric,
    side_by_side,
    significance_stars,
)
from scoring.instrument import default_instrument

INSTRUMENT = default_instrument()  # the current version of the data dictionary

CLUSTERS = (
    "non-migration",
    "migration",
    "left-behind by single parent",
    "left-behind by both parents",
    "transition",
)


def analytic_frame(n=400, seed=0):
    """A frame with every Study A and Study B column, coded as the dictionary codes them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "pid": [f"P{i:04d}" for i in range(n)],
            "traj_label": rng.choice(CLUSTERS, n, p=[0.5, 0.12, 0.12, 0.1, 0.16]),
            "gender": rng.integers(1, 3, n),
            "hukou": rng.integers(1, 3, n),
            "age": rng.integers(11, 17, n),
            "grade": rng.integers(7, 10, n),
            "ethnicity": rng.integers(1, 3, n),
            "only_child": rng.integers(0, 2, n),
            "academic_rank": rng.integers(1, 6, n),
            "health_good": rng.integers(0, 2, n),
            "father_edu3": rng.integers(1, 4, n),
            "mother_edu3": rng.integers(1, 4, n),
            "parents_relation": rng.integers(1, 6, n),
            "boarding": rng.integers(0, 2, n),
            "classmate_friendly": rng.integers(0, 2, n),
            "neighbor_relation": rng.integers(1, 6, n),
            "family_econ": rng.integers(1, 6, n),
            "pcr": rng.uniform(2, 10, n),
            "migration_now": rng.integers(0, 4, n),
            "belong": rng.integers(1, 6, n),
            "tatt": rng.normal(size=n),
            "tsat": rng.integers(1, 6, n),
            "best_friends": rng.integers(1, 5, n),
            "closeness": rng.integers(1, 6, n),
            "peer_sat": rng.integers(1, 6, n),
        }
    )
    frame["rsca"] = 3 + 0.1 * frame["pcr"] - 0.1 * (frame["traj_label"] == "migration") + rng.normal(0, 0.5, n)
    frame["dep"] = 13 + 2 * (frame["migration_now"] == 1) - frame["belong"] + rng.normal(0, 4, n)
    return frame


def test_tiny_dataset_matches_the_hand_computed_fit():
    # y = 1.1 + 1.1 x; RSS 2.7 on 2 df; Sxx 5; TSS 8.75 (worked out by hand)
    frame = pd.DataFrame({"x": [0, 1, 2, 3], "y": [1, 3, 2, 5]})
    table = fit_ols(frame, "y", [numeric("x", "x")])
    assert table.coef("x") == pytest.approx(1.1)
    assert table.coef(CONSTANT) == pytest.approx(1.1)
    assert table.se("x") == pytest.approx(np.sqrt(1.35 / 5))
    assert table.se(CONSTANT) == pytest.approx(np.sqrt(1.35 * (1 / 4 + 1.5**2 / 5)))
    assert table.r2 == pytest.approx(1 - 2.7 / 8.75)
    assert table.f == pytest.approx(6.05 / 1.35)
    assert table.n == 4 and table.df_resid == 2


def test_coefficients_and_standard_errors_solve_the_normal_equations():
    frame = analytic_frame()
    predictors = [numeric("pcr", "pcr"), indicator("gender", "girl", 2), categorical("father_edu3", "father", [(1, "low"), (2, "mid"), (3, "high")])]
    table = fit_ols(frame, "rsca", predictors)
    design = np.column_stack(
        [
            np.ones(len(frame)),
            frame["pcr"],
            frame["gender"] == 2,
            frame["father_edu3"] == 2,
            frame["father_edu3"] == 3,
        ]
    ).astype(float)
    y = frame["rsca"].to_numpy()
    gram = design.T @ design
    beta = np.linalg.solve(gram, design.T @ y)
    residual = y - design @ beta
    sigma2 = residual @ residual / (len(y) - design.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(gram)))
    assert list(table.terms.index) == [CONSTANT, "pcr", "girl", "father: mid", "father: high"]
    np.testing.assert_allclose(table.terms["coef"], beta, rtol=1e-10)
    np.testing.assert_allclose(table.terms["se"], se, rtol=1e-10)


def test_treatment_coding_drops_the_reference_and_gives_mean_differences():
    # R: lm(y ~ relevel(factor(g), "b")): intercept = mean of b, slopes = mean(level) - mean(b)
    frame = pd.DataFrame({"g": list("aabbbccc"), "y": [1.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0]})
    table = fit_ols(frame, "y", [categorical("g", "g", [("a", "a"), ("b", "b"), ("c", "c")], reference="b")])
    assert list(table.terms.index) == [CONSTANT, "g: a", "g: c"]
    assert table.coef(CONSTANT) == pytest.approx(5.0)
    assert table.coef("g: a") == pytest.approx(2.0 - 5.0)
    assert table.coef("g: c") == pytest.approx(1.0 - 5.0)
    assert table.references == {"g": "b"}


def test_missing_values_are_deleted_listwise_and_aliased_columns_left_out_like_r():
    frame = analytic_frame(200)
    frame.loc[:9, "gender"] = np.nan
    frame["pcr_copy"] = frame["pcr"] * 2
    table = fit_ols(frame, "rsca", [indicator("gender", "girl", 2), numeric("pcr", "pcr"), numeric("pcr_copy", "pcr twice")])
    plain = fit_ols(frame, "rsca", [indicator("gender", "girl", 2), numeric("pcr", "pcr")])
    assert table.n == 190
    assert table.aliased == ("pcr twice",)
    pd.testing.assert_frame_equal(table.terms, plain.terms)


def test_stars_follow_the_published_thresholds():
    assert [significance_stars(p) for p in (0.2, 0.04, 0.009, 0.0009, np.nan)] == ["", "*", "**", "***", ""]


def test_cluster_levels_put_non_migration_first_and_keep_the_table_order():
    labels = ["transition", "migration", "non-migration", "transition 2", "left-behind by both parents"]
    assert [name for name, _ in cluster_levels(labels)] == [
        "non-migration",
        "migration",
        "left-behind by both parents",
        "transition",
        "transition 2",
    ]


def test_study_a_models_have_the_published_terms():
    tables = fit_study_a(analytic_frame(), instrument=INSTRUMENT)
    assert list(tables) == ["model1", "model2", "model3", "model4", "moderation_economic", "moderation_pcr"]
    cluster_terms = list(CLUSTERS[1:])
    assert list(tables["model1"].terms.index) == [CONSTANT, *cluster_terms]
    model4 = tables["model4"].terms.index
    for term in (
        "girl",
        "urban",
        "age",
        "two or more children",
        "academic rank",
        "health better",
        "father: junior high",
        "father: senior high or above",
        "mother: senior high or above",
        "parents' relation",
        "not boarding",
        "classmates friendly",
        "neighbourhood relation",
        "economic status",
        "parent-child relation",
    ):
        assert term in model4
    assert "father: primary or less" not in model4
    assert "non-migration" not in model4
    assert "left-behind by both parents × economic status" in tables["moderation_economic"].terms.index
    assert "transition × parent-child relation" in tables["moderation_pcr"].terms.index
    assert tables["model4"].references["traj_label"] == "non-migration"


def test_controls_are_coded_as_table_2():
    frame = analytic_frame()
    model2 = fit_study_a(frame, instrument=INSTRUMENT, models=["model2"])["model2"]
    recoded = frame.assign(
        girl=frame["gender"].eq(2), urban=frame["hukou"].eq(2), siblings=frame["only_child"].eq(0),
        not_boarding=frame["boarding"].eq(0),
    )
    direct = fit_ols(
        recoded,
        "rsca",
        [
            categorical("traj_label", "", [(c, c) for c in CLUSTERS]),
            numeric("girl", "girl"),
            numeric("urban", "urban"),
            numeric("age", "age"),
            numeric("siblings", "two or more children"),
            numeric("academic_rank", "academic rank"),
            numeric("health_good", "health better"),
            categorical("father_edu3", "father", [(1, "primary or less"), (2, "junior high"), (3, "senior high or above")]),
            categorical("mother_edu3", "mother", [(1, "primary or less"), (2, "junior high"), (3, "senior high or above")]),
            numeric("parents_relation", "parents' relation"),
            numeric("not_boarding", "not boarding"),
            numeric("classmate_friendly", "classmates friendly"),
            numeric("neighbor_relation", "neighbourhood relation"),
        ],
    )
    pd.testing.assert_frame_equal(model2.terms, direct.terms)


def test_interaction_columns_are_products():
    frame = pd.DataFrame({"g": ["a", "b", "b", "a"], "x": [1.0, 2.0, 3.0, np.nan]})
    columns = Interaction(categorical("g", "", [("a", "a"), ("b", "b")]), numeric("x", "x")).columns(frame)
    assert list(columns.columns) == ["b × x"]
    assert columns["b × x"].tolist()[:3] == [0.0, 2.0, 3.0] and np.isnan(columns["b × x"].iloc[3])


def test_study_b_models_add_each_school_measure_alone_and_with_migration():
    tables = fit_study_b(analytic_frame(), instrument=INSTRUMENT)
    measures = ["belong", "tatt", "tsat", "best_friends", "closeness", "peer_sat"]
    assert list(tables) == ["model1", "model2"] + [f"{kind}_{m}" for m in measures for kind in ("main", "interaction")]
    assert list(tables["model1"].terms.index) == [CONSTANT, "mother only", "father only", "both parents"]
    assert "ethnic minority" in tables["model2"].terms.index
    assert "school belonging" in tables["main_belong"].terms.index
    assert "mother only × school belonging" in tables["interaction_belong"].terms.index
    assert "both parents × satisfaction with peers" in tables["interaction_peer_sat"].terms.index


def test_side_by_side_puts_se_beneath_and_the_constant_last():
    tables = fit_study_a(analytic_frame(), instrument=INSTRUMENT, models=["model1", "model4"])
    layout = side_by_side(tables)
    assert list(layout.columns) == ["term", "row", "model1", "model4"]
    first = layout.iloc[0]
    assert first["term"] == "migration" and first["row"] == "coef"
    assert layout.iloc[1]["row"] == "se" and layout.iloc[1]["model1"].startswith("(")
    assert layout.loc[layout["row"] == "coef", "term"].iloc[-1] == CONSTANT
    assert layout.loc[layout["term"] == "girl", "model1"].item() == ""
    assert layout.loc[layout["term"] == "N", "model4"].item() == str(tables["model4"].n)


def test_model_table_serialises_to_json():
    table = fit_study_a(analytic_frame(), instrument=INSTRUMENT, models=["model4"])["model4"]
    payload = json.loads(json.dumps(table.to_dict()))
    assert payload["n"] == table.n
    assert payload["terms"][-1]["term"] == CONSTANT
    assert {"coef", "se", "t", "p", "ci_low", "ci_high", "stars"} <= set(payload["terms"][0])
    frame = table.to_frame()
    assert frame["term"].iloc[-1] == CONSTANT
    ci = frame.set_index("term").loc["girl"]
    assert ci["ci_low"] < ci["coef"] < ci["ci_high"]
