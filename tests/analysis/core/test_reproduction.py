"""The published figures are data with their source, and a run's results are set beside them correctly."""

import math
import re

import numpy as np
import pytest

from analysis.core.reproduction import load_published, reproduction_summary, reproduction_table
from tests.paths import ROOT

PUBLISHED = ROOT / "analysis" / "published"


@pytest.fixture
def published():
    return load_published(PUBLISHED)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_published_figure_and_quoted_source_is_in_methods(published, spec_dir):
    methods = _flat((spec_dir / "METHODS.md").read_text(encoding="utf-8"))
    assert set(published["study"]) == {"A", "B"} and len(published) >= 40
    raw = {study: (PUBLISHED / f"study_{study.lower()}.csv").read_text(encoding="utf-8") for study in "AB"}
    for row in published.itertuples(index=False):
        assert row.source.startswith("METHODS.md"), row
        for quote in re.findall(r'"([^"]+)"', row.source):
            assert _flat(quote) in methods, quote
        for value in (row.estimate, row.se):
            if not math.isnan(value):
                text = next(t for t in re.findall(r"-?\d+\.\d+", raw[row.study]) if float(t) == value)
                assert text in methods, (row.label, text)
    sections = set(zip(published["study"], published["section"], strict=True))
    assert {("A", "cluster_shares"), ("A", "model1"), ("A", "model4"), ("A", "interactions"), ("A", "psm")} <= sections
    assert {("B", "model2"), ("B", "main_effects"), ("B", "interactions")} <= sections
    shares = published[published["section"] == "cluster_shares"]["estimate"]
    assert shares.sum() == pytest.approx(100, abs=0.05)


def _model(name, terms):
    return {"name": name, "outcome": "y", "terms": [{"term": t, "coef": c, "se": s, "p": p} for t, c, s, p in terms]}


RESULTS = {
    "cluster_sizes": [
        {"traj_cluster": 1, "traj_label": "non-migration", "n": 500},
        {"traj_cluster": 2, "traj_label": "migration", "n": 250},
        {"traj_cluster": 3, "traj_label": "transition", "n": 250},
    ],
    "tables": {
        "a_model1": _model("model1", [("migration", -0.054 + 0.042, 0.02, 0.55), ("left-behind by single parent", 0.01, 0.02, 0.6)]),
        "a_moderation_economic": _model("m", [("left-behind by both parents × economic status", 0.1, 0.03, 0.001)]),
        "a_psm": {"estimates": [
            {"treated": "left-behind by single parent", "covariate_set": "model2", "method": "radius", "att": 9.0, "se": 1.0, "p": 0.0},
            {"treated": "left-behind by single parent", "covariate_set": "model2", "method": "nearest", "att": -0.1, "se": 0.03, "p": 0.001},
        ]},
    },
}


def test_ours_beside_published_with_difference_in_published_se_and_agreement(published):
    table = reproduction_table(RESULTS, published).set_index(["study", "section", "label"])
    share = table.loc[("A", "cluster_shares", "migration")]
    assert share["ours"] == pytest.approx(25.0) and share["difference"] == pytest.approx(25.0 - 10.92)
    assert share["sign_agrees"] is True and share["significance_agrees"] is None
    migration = table.loc[("A", "model1", "migration")]
    assert migration["ours"] == pytest.approx(-0.012) and migration["published"] == -0.054
    assert migration["difference_in_se"] == pytest.approx(0.042 / 0.021)
    assert migration["sign_agrees"] is True
    assert migration["published_significant"] is True and migration["ours_significant"] is False  # |-0.054/0.021| > 1.96
    assert migration["significance_agrees"] is False
    lb1 = table.loc[("A", "model1", "LB1")]
    assert lb1["sign_agrees"] is False
    lb2x = table.loc[("A", "interactions", "LB2 x economic status")]
    assert lb2x["significance_agrees"] is True and lb2x["difference_in_se"] == pytest.approx((0.1 - 0.079) / 0.038)
    unstated = table.loc[("A", "interactions", "migration x economic status")]  # published: not significant, no estimate
    assert np.isnan(unstated["published"]) and np.isnan(unstated["ours"]) and unstated["significance_agrees"] is None
    att = table.loc[("A", "psm", "ATT LB1 vs non-migration (Model 2 covariates)")]
    assert att["ours"] == -0.1 and att["ours_se"] == 0.03  # nearest neighbour, not radius
    absent = table.loc[("B", "model2", "mother only")]  # the run had no Study B
    assert np.isnan(absent["ours"]) and absent["sign_agrees"] is None
    summary = reproduction_summary(table.reset_index())
    assert summary["figures"] == len(published) and summary["compared"] == 3 + 2 + 1 + 1
    assert summary["signs_agree"] == summary["signs_compared"] - 1
