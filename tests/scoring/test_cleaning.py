"""The cleaning flow on hand-built flag frames."""

from __future__ import annotations

import pandas as pd
import pytest

from scoring.cleaning import CLEANING_RULES, CleaningResult, clean, rule_settings

FLAGS = [flag for _, flag in CLEANING_RULES]


def flags(rows: list[str], index=None) -> pd.DataFrame:
    """One row per string; the string lists the 0-based rule positions whose flag is raised."""
    data = {flag: [int(str(k) in row) for row in rows] for k, flag in enumerate(FLAGS)}
    frame = pd.DataFrame(data, index=index).astype("Int64")
    frame["rsca"] = 3.0  # other columns are ignored
    return frame


def counts(result: CleaningResult) -> list[tuple[str, int, int]]:
    return [(s["rule"], s["dropped"], s["remaining"]) for s in result.flow]


def test_order_and_counting_only_rows_still_kept():
    #        0: disruption, 1: unknown, 2: inconsistent, 3: straight, 4: speeding, 5: covariates
    frame = flags(["", "0", "01", "1", "2", "34", "45", "5", "", "012345"])
    result = clean(frame)
    assert result.raw == 10
    assert counts(result) == [
        ("family_disruption", 3, 7),
        ("res_unknown", 1, 6),
        ("res_inconsistent", 1, 5),
        ("straightline", 1, 4),
        ("speeding", 1, 3),
        ("missing_covariates", 1, 2),
    ]
    assert result.mask.tolist() == [True] + [False] * 7 + [True, False]
    assert result.analytic == 2
    assert [s["flag"] for s in result.flow] == FLAGS
    assert all(s["enabled"] for s in result.flow)


def test_a_disabled_rule_drops_nothing_and_is_reported():
    frame = flags(["", "0", "01", "1", "2", "34", "45", "5", "", "012345"])
    result = clean(frame, {"family_disruption": False, "speeding": False})
    assert counts(result) == [
        ("family_disruption", 0, 10),
        ("res_unknown", 3, 7),
        ("res_inconsistent", 1, 6),
        ("straightline", 1, 5),
        ("speeding", 0, 5),
        ("missing_covariates", 2, 3),
    ]
    assert [s["enabled"] for s in result.flow] == [False, True, True, True, False, True]
    assert result.rules == {"family_disruption": False, "res_unknown": True, "res_inconsistent": True,
                            "straightline": True, "speeding": False, "missing_covariates": True}


def test_all_rules_off_keeps_everything():
    frame = flags(["0", "012345"])
    result = clean(frame, {name: False for name, _ in CLEANING_RULES})
    assert result.mask.all() and result.analytic == 2
    assert all(s["dropped"] == 0 and s["remaining"] == 2 for s in result.flow)


def test_rules_may_be_named_by_flag_column():
    frame = flags(["4", ""])
    assert clean(frame, {"flag_speeding": False}).analytic == 2
    assert rule_settings({"flag_speeding": False})["speeding"] is False


def test_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown cleaning rule"):
        clean(flags([""]), {"speding": False})


def test_missing_flag_column_is_an_error_unless_the_rule_is_off():
    frame = flags(["", "5"]).drop(columns=["flag_speeding"])
    with pytest.raises(KeyError, match="flag_speeding"):
        clean(frame)
    assert clean(frame, {"speeding": False}).analytic == 1


def test_missing_flag_counts_as_not_raised():
    frame = flags(["", "0"])
    frame.loc[0, "flag_straightline"] = pd.NA
    assert clean(frame).mask.tolist() == [True, False]


def test_mask_keeps_the_index():
    frame = flags(["", "3", ""], index=["p1", "p2", "p3"])
    result = clean(frame)
    assert result.mask.index.tolist() == ["p1", "p2", "p3"]
    assert result.mask.dtype == bool
    assert result.mask.tolist() == [True, False, True]


def test_flow_frame():
    result = clean(flags(["", "0", "5"]))
    table = result.flow_frame()
    assert list(table.columns) == ["rule", "flag", "enabled", "dropped", "remaining"]
    assert table["rule"].tolist() == ["raw"] + [name for name, _ in CLEANING_RULES]
    assert table.iloc[0]["remaining"] == 3
    assert table["dropped"].sum() == 2
    assert table["remaining"].iloc[-1] == result.analytic == 1


def test_empty_frame():
    result = clean(flags([]))
    assert result.raw == 0 and result.analytic == 0
    assert all(s["dropped"] == 0 for s in result.flow)
