"""The engine and the cleaning flow against the reference cohort (``shared/reference``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.cleaning import CLEANING_RULES, clean
from scoring.engine import SCORED_CODES, score_frame, score_wave
from tests.paths import REFERENCE_DIR
from tests.reference import readme_flow

RAW_CSV = REFERENCE_DIR / "cohort_1500.csv"
SCORED_CSV = REFERENCE_DIR / "cohort_1500_scored.csv"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(RAW_CSV)


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(SCORED_CSV)


@pytest.fixture(scope="module")
def scored(raw) -> pd.DataFrame:
    return score_wave(raw)


def mismatches(actual: pd.Series, wanted: pd.Series) -> pd.Series:
    """Rows where the values differ (floats to 1e-9, others exactly; empty == missing)."""
    actual = actual.reset_index(drop=True)
    wanted = wanted.reset_index(drop=True)
    both_missing = actual.isna() & wanted.isna()
    if actual.dtype == object or wanted.dtype == object:
        same = actual.astype(object).where(actual.notna(), None) == wanted.astype(object).where(wanted.notna(), None)
        return ~(both_missing | same.fillna(False))
    a = actual.astype("float64").to_numpy()
    w = wanted.astype("float64").to_numpy()
    if str(actual.dtype) == "Int64":
        same = a == w
    else:
        with np.errstate(invalid="ignore"):
            same = np.abs(a - w) <= 1e-9
    return ~(both_missing.to_numpy() | same)


def assert_matches(out: pd.DataFrame, expected: pd.DataFrame) -> None:
    problems = {}
    for code in out.columns:
        bad = mismatches(out[code], expected[code])
        if bad.any():
            rows = np.flatnonzero(bad)[:5]
            problems[code] = [(expected["pid"].iloc[i], out[code].iloc[i], expected[code].iloc[i]) for i in rows]
    assert not problems, problems


def test_same_rows_and_columns(raw, expected, scored):
    assert raw["pid"].tolist() == expected["pid"].tolist()
    assert list(scored.columns) == [c for c in expected.columns if c not in ("pid", "analytic")]


def test_every_derived_value_and_flag(scored, expected):
    assert_matches(scored, expected)


def test_dtypes(scored):
    for code in scored.columns:
        assert str(scored[code].dtype) in ("Int64", "float64", "object"), code
    assert scored["mig_seq"].dtype == object
    assert scored["mig_seq"].map(lambda v: v is None or isinstance(v, str)).all()


def test_tz_aware_timestamps_and_another_index(raw, expected):
    frame = raw.copy()
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    assert isinstance(frame["submitted_at"].dtype, pd.DatetimeTZDtype)
    frame.index = frame.index * 3 + 7
    frame = frame[frame.columns[::-1]]  # column order does not matter
    out = score_wave(frame)
    assert out.index.equals(frame.index)
    assert_matches(out, expected)


def test_one_response_at_a_time_equals_the_wave(raw, scored):
    rows = list(range(0, len(raw), 37))
    single = pd.concat([score_frame(raw.iloc[[i]]) for i in rows])
    batch = scored.iloc[rows][SCORED_CODES]
    pd.testing.assert_frame_equal(single, batch)


def expected_flow(expected: pd.DataFrame) -> list[tuple[str, int, int]]:
    """The flow recomputed here from the reference flags, rule after rule."""
    keep = pd.Series(True, index=expected.index)
    flow = []
    for name, flag in CLEANING_RULES:
        hit = keep & (expected[flag] == 1)
        keep &= ~hit
        flow.append((name, int(hit.sum()), int(keep.sum())))
    return flow


def test_rule_order_is_the_specs():
    assert [name for name, _ in CLEANING_RULES] == [
        "family_disruption",
        "res_unknown",
        "res_inconsistent",
        "straightline",
        "speeding",
        "missing_covariates",
    ]


def test_cleaning_reproduces_the_analytic_column_and_the_flow(scored, expected):
    result = clean(scored)
    assert result.raw == len(expected)
    assert (result.mask.to_numpy() == (expected["analytic"] == 1).to_numpy()).all()
    assert result.analytic == int(expected["analytic"].sum())
    assert [(s["rule"], s["dropped"], s["remaining"]) for s in result.flow] == expected_flow(expected)
    assert all(s["enabled"] for s in result.flow)
    # the reference file's own flags give the same flow
    again = clean(expected)
    assert again.mask.equals(result.mask.set_axis(expected.index))


def test_flow_matches_the_readme(raw, scored):
    stated = readme_flow()
    result = clean(scored)
    for step in result.flow:
        assert step["dropped"] == stated[step["rule"]], step
    assert result.analytic == stated["analytic"]
    assert raw["duration_s"].median() == stated["median"]


def test_switching_speeding_off(scored, expected):
    result = clean(scored, {"speeding": False})
    speeding = [s for s in result.flow if s["rule"] == "speeding"][0]
    assert speeding == {"rule": "speeding", "flag": "flag_speeding", "enabled": False, "dropped": 0, "remaining": speeding["remaining"]}
    full = expected_flow(expected)
    assert result.analytic >= full[-1][2]
    assert result.analytic == int(result.mask.sum())


def test_column_by_column_reading_gives_the_same(raw, scored, monkeypatch):
    """Large frames are read column by column, small ones as one block: same result."""
    import scoring.engine as engine

    monkeypatch.setattr(engine, "_BLOCK_ROWS", 1)
    frame = raw.copy()
    frame["rsca01"] = frame["rsca01"].astype(object).where(frame.index % 7 != 0, "")  # object column
    frame["gender"] = frame["gender"].astype("Int64")
    out = score_wave(frame)  # column by column
    monkeypatch.setattr(engine, "_BLOCK_ROWS", 10**9)
    block = score_wave(frame)  # one block
    pd.testing.assert_frame_equal(out, block)
    assert out["rsca"].isna().sum() == 0 and (out["rsca"] != scored["rsca"]).sum() > 0  # rsca01 blanked: 26 of 27
    untouched = [c for c in scored.columns if not c.startswith("rsca") and c != "flag_missing_covariates"]
    pd.testing.assert_frame_equal(out[untouched], scored[untouched])
