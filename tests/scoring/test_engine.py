"""Hand-computed edge cases of the scoring engine (no reference files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring.engine import SCORED_CODES, WAVE_CODES, flag_speeding, score_frame, score_wave
from scoring.instrument import RESIDENCE_PERSONS, RESIDENCE_YEARS, Instrument, default_instrument

INSTRUMENT = default_instrument()
RES = Instrument.residence_code
RSCA_ITEMS = [v.code for s in INSTRUMENT.scales_with_prefix("rsca_") for v in INSTRUMENT.scale_items(s)]
SUBMITTED = "2021-07-15T10:00:00+08:00"


def base() -> dict:
    """A complete, valid answer set: a 12-year-old (born 2009-06), always NM, no flag raised."""
    answers = {
        "submitted_at": SUBMITTED,
        "duration_s": 1500,
        "gender": 1,
        "birth_year": 2009,
        "birth_month": 6,
        "grade": 6,
        "hukou": 1,
        "ethnicity": 1,
        "siblings": 1,
        "academic_rank": 3,
        "health": 4,
        "father_edu": 3,
        "mother_edu": 2,
        "parents_relation": 4,
        "boarding": 0,
        "classmate_friendly": 1,
        "neighbor_relation": 4,
        "caregiver": 1,
        "family_econ": 3,
        "parent_away": 0,
        "mother_away": np.nan,
        "father_away": np.nan,
        "contact_freq": np.nan,
    }
    for person in RESIDENCE_PERSONS:
        for year in RESIDENCE_YEARS:
            answers[RES(person, year)] = 1
    for i, code in enumerate(RSCA_ITEMS):
        answers[code] = i % 5 + 1  # not straight-lined
    answers.update(dep1=1, dep2=2, dep3=3, dep4=4, dep5=5, dep6=1)
    answers.update({f"pcf{i}": 4 for i in range(1, 6)})
    answers.update({f"pcm{i}": 5 for i in range(1, 6)})
    answers.update(belong=4, tatt1=2, tatt2=2, tatt3=3, tsat=4, best_friends=2, closeness=4, peer_sat=4)
    return answers


def score(**changes) -> pd.Series:
    """Score one response (``base()`` with ``changes``); returns its row."""
    answers = base()
    answers.update(changes)
    return score_frame(pd.DataFrame([answers])).iloc[0]


def set_residence(answers: dict, year: int, child, father, mother) -> None:
    answers[RES("child", year)] = child
    answers[RES("father", year)] = father
    answers[RES("mother", year)] = mother


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------- structure


def test_columns_dtypes_and_index_of_a_one_row_frame():
    frame = pd.DataFrame([base()], index=[42])
    out = score_frame(frame)
    assert list(out.columns) == SCORED_CODES
    assert list(out.index) == [42]
    assert "tatt" not in out and "traj_cluster" not in out and "flag_speeding" not in out
    for code in SCORED_CODES:
        kind = INSTRUMENT[code].type
        expected = {"float": "float64", "string": "object"}.get(kind, "Int64")
        assert str(out[code].dtype) == expected, code
    row = out.iloc[0]
    assert row["age"] == 12
    assert row["mig_seq"] == "-".join(["NM"] * 12)
    assert all(row[c] == 0 for c in SCORED_CODES if c.startswith("flag_"))


def test_score_wave_adds_flag_speeding_in_dictionary_order():
    out = score_wave(pd.DataFrame([base(), base()]))
    expected = [c for c in INSTRUMENT.derived_codes if c not in ("tatt", "traj_cluster", "traj_label")]
    assert list(out.columns) == expected
    assert WAVE_CODES == ["flag_speeding"]
    assert str(out["flag_speeding"].dtype) == "Int64"


def test_absent_columns_count_as_missing():
    out = score_frame(pd.DataFrame({"submitted_at": [SUBMITTED]})).iloc[0]
    assert is_missing(out["age"]) and is_missing(out["rsca"]) and is_missing(out["mig_01"])
    assert out["mig_seq"] is None
    assert out["flag_res_unknown"] == 1  # age unknown: all 12 ages count as asked, none answered
    assert out["flag_missing_covariates"] == 1
    assert out["flag_straightline"] == 0


def test_empty_frame():
    out = score_wave(pd.DataFrame(columns=["submitted_at", "duration_s"]))
    assert len(out) == 0


# ---------------------------------------------------------------- scales


def test_reverse_keying():
    assert INSTRUMENT["rsca06"].reverse and not INSTRUMENT["rsca07"].reverse
    # help = rsca06 (r), rsca07, rsca09 (r), rsca12 (r), rsca18, rsca26 (r); all answered 1
    row = score(rsca06=1, rsca07=1, rsca09=1, rsca12=1, rsca18=1, rsca26=1)
    assert row["rsca_help"] == pytest.approx((5 + 1 + 5 + 5 + 1 + 5) / 6)
    row = score(rsca06=2, rsca07=4, rsca09=5, rsca12=3, rsca18=5, rsca26=1)
    assert row["rsca_help"] == pytest.approx((4 + 4 + 1 + 3 + 5 + 5) / 6)


def test_all_answers_3_and_rsca_total():
    row = score(**{c: 3 for c in RSCA_ITEMS})
    for scale in ("rsca", "rsca_goal", "rsca_affect", "rsca_positive", "rsca_family", "rsca_help", "rsca_indiv", "rsca_support"):
        assert row[scale] == 3.0
    # all 5: reverse-keyed items score 1
    row = score(**{c: 5 for c in RSCA_ITEMS})
    n_rev = sum(INSTRUMENT[c].reverse for c in RSCA_ITEMS)
    assert n_rev == 12 and len(RSCA_ITEMS) == 27
    assert row["rsca"] == pytest.approx((15 * 5 + 12 * 1) / 27)


def test_eighty_percent_rule_exactly_at_and_below():
    # rsca_goal has 5 items (rsca03, 04, 11, 20, 24; none reverse keyed)
    goal = dict(rsca03=1, rsca04=2, rsca11=3, rsca20=4, rsca24=5)
    assert score(**{**goal, "rsca24": np.nan})["rsca_goal"] == pytest.approx(2.5)  # 4 of 5 = 80 %
    assert is_missing(score(**{**goal, "rsca20": np.nan, "rsca24": np.nan})["rsca_goal"])  # 3 of 5
    # rsca_positive has 4 items: 3 of 4 = 75 % is below
    assert is_missing(score(rsca10=np.nan)["rsca_positive"])
    # rsca_affect has 6 items: 5 of 6 scored, 4 of 6 missing
    affect = dict(rsca01=5, rsca02=5, rsca05=5, rsca21=5, rsca23=5, rsca27=5)  # 23 not reverse keyed
    assert score(**{**affect, "rsca23": np.nan})["rsca_affect"] == 1.0
    assert score(**{**affect, "rsca01": np.nan})["rsca_affect"] == pytest.approx((4 * 1 + 5) / 5)
    assert is_missing(score(**{**affect, "rsca01": np.nan, "rsca02": np.nan})["rsca_affect"])


def test_pooled_scores_use_the_80_percent_rule_on_all_their_items():
    every3 = {c: 3 for c in RSCA_ITEMS}
    # rsca: 27 items, 22 answered (81 %) scored, 21 (78 %) missing
    five_gone = {**every3, **{c: np.nan for c in ("rsca03", "rsca04", "rsca07", "rsca08", "rsca10")}}
    row = score(**five_gone)
    assert row["rsca"] == 3.0
    assert is_missing(row["rsca_goal"]) and is_missing(row["rsca_positive"])  # 3/5 and 3/4
    # rsca_indiv pools goal + affect + positive (15 items): 12 needed; 3 gone here -> scored
    assert row["rsca_indiv"] == 3.0
    six_gone = {**five_gone, "rsca11": np.nan}
    assert is_missing(score(**six_gone)["rsca"])
    assert is_missing(score(**six_gone)["rsca_indiv"])  # 11 of 15
    # rsca_support pools family + help (12 items): 10 scored, 9 missing
    two_gone = {**every3, "rsca06": np.nan, "rsca08": np.nan}
    assert score(**two_gone)["rsca_support"] == 3.0
    assert is_missing(score(**{**two_gone, "rsca07": np.nan})["rsca_support"])
    # pooled = mean of the pooled items, not the mean of the subscale means
    row = score(**{**every3, "rsca03": 5, "rsca04": 5, "rsca11": 5, "rsca20": 5, "rsca24": 5})
    assert row["rsca_indiv"] == pytest.approx((5 * 5 + 10 * 3) / 15)


def test_depression_five_of_six():
    assert score()["dep"] == 16.0  # 1+2+3+4+5+1
    assert score(dep6=np.nan)["dep"] == pytest.approx(6 * (1 + 2 + 3 + 4 + 5) / 5)
    assert is_missing(score(dep5=np.nan, dep6=np.nan)["dep"])


def test_parent_child_relation_four_of_five():
    row = score(pcf1=5, pcf2=5, pcf3=4, pcf4=4, pcf5=np.nan)
    assert row["pcr_father"] == 4.5 and row["pcr_mother"] == 5.0 and row["pcr"] == 9.5
    assert row["flag_missing_covariates"] == 0
    row = score(pcf4=np.nan, pcf5=np.nan)
    assert is_missing(row["pcr_father"]) and row["pcr_mother"] == 5.0
    assert is_missing(row["pcr"])
    assert row["flag_missing_covariates"] == 1


def test_invalid_values_count_as_missing():
    row = score(rsca10=7)
    assert is_missing(row["rsca_positive"])
    row = score(siblings=2.5, health=0)
    assert is_missing(row["only_child"]) and is_missing(row["health_good"])
    assert row["flag_missing_covariates"] == 1


def test_object_columns_as_from_a_form():
    row = score(rsca10="", rsca13=None, birth_year="2009", birth_month="6")
    assert row["age"] == 12
    assert is_missing(row["rsca_positive"])


# ---------------------------------------------------------------- age and residence


@pytest.mark.parametrize(
    ("birth_month", "submitted", "age"),
    [
        (7, "2021-07-15T10:00:00+08:00", 12),  # birthday (the 1st) this month: completed
        (8, "2021-07-15T10:00:00+08:00", 11),
        (8, "2021-07-31T23:30:00-05:00", 11),  # local date July 31 (UTC would be August 1)
        (8, "2021-08-01T00:30:00+08:00", 12),  # local date August 1 (UTC would be July 31)
        (1, "2021-01-01T00:00:00+08:00", 12),
        (12, "2021-11-30T23:59:59+08:00", 11),
    ],
)
def test_age_around_the_birthday_month(birth_month, submitted, age):
    assert score(birth_year=2009, birth_month=birth_month, submitted_at=submitted)["age"] == age


def test_age_from_timestamps_with_mixed_offsets():
    stamps = [
        pd.Timestamp("2021-07-31T23:30:00-05:00"),
        pd.Timestamp("2021-08-01T00:30:00+08:00"),
    ]
    frame = pd.DataFrame([{**base(), "birth_month": 8}, {**base(), "birth_month": 8}])
    frame["submitted_at"] = pd.Series(stamps, dtype=object)
    assert score_frame(frame)["age"].tolist() == [11, 12]
    frame["submitted_at"] = pd.Series(stamps).map(lambda t: t.tz_convert("Asia/Shanghai"))
    assert str(frame["submitted_at"].dtype).startswith("datetime64")
    assert score_frame(frame)["age"].tolist() == [12, 12]  # both local dates are August in Shanghai


def test_missing_birth_year():
    row = score(birth_year=np.nan)
    assert is_missing(row["age"])
    assert row["mig_seq"] == "-".join(["NM"] * 12)  # all 12 ages count as asked
    assert row["flag_missing_covariates"] == 1


def test_child_of_11_answers_all_12_years():
    # born 2009-08, submitted 2021-07: 11 completed years, in the 12th year of life
    answers = {**base(), "birth_month": 8}
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    assert row["age"] == 11
    assert row["mig_12"] == 1 and row["mig_seq"] is not None and row["flag_res_unknown"] == 0
    set_residence(answers, 12, np.nan, np.nan, np.nan)
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    assert is_missing(row["mig_12"]) and row["mig_seq"] is None
    assert row["flag_res_unknown"] == 1  # age 12 was asked


def test_child_of_10_is_not_asked_year_12():
    answers = {**base(), "birth_year": 2010, "birth_month": 8}
    set_residence(answers, 12, np.nan, np.nan, np.nan)
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    assert row["age"] == 10
    assert row["mig_11"] == 1
    assert is_missing(row["mig_12"])
    assert row["mig_seq"] is None  # 12 ages are needed
    assert row["flag_res_unknown"] == 0  # year 12 was not asked
    # a stale answer at an age not asked is ignored, even 8 or 9
    set_residence(answers, 12, 8, 9, 1)
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    assert is_missing(row["mig_12"])
    assert row["flag_res_unknown"] == 0 and row["flag_family_disruption"] == 0


def test_the_four_statuses_and_the_sequence():
    answers = base()
    cases = [  # (child, father, mother) -> status
        ((1, 1, 1), 1),
        ((2, 2, 1), 2),
        ((2, 1, 2), 2),
        ((2, 2, 2), 2),
        ((1, 2, 1), 3),
        ((1, 1, 2), 3),
        ((1, 2, 2), 4),
    ]
    for year, (triple, _) in zip(RESIDENCE_YEARS, cases):
        set_residence(answers, year, *triple)
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    for year, (_, status) in zip(RESIDENCE_YEARS, cases):
        assert row[f"mig_{year:02d}"] == status
    assert row["mig_seq"] == "NM-MG-MG-MG-LB1-LB1-LB2-NM-NM-NM-NM-NM"
    assert row["flag_res_inconsistent"] == 0


@pytest.mark.parametrize(
    ("triple", "flag"),
    [
        ((8, 1, 1), "flag_res_unknown"),
        ((1, 8, 1), "flag_res_unknown"),
        ((1, 2, np.nan), "flag_res_unknown"),
        ((1, 9, 1), "flag_family_disruption"),
        ((2, 2, 9), "flag_family_disruption"),
        ((2, 1, 1), "flag_res_inconsistent"),
    ],
)
def test_undefined_year(triple, flag):
    answers = base()
    set_residence(answers, 3, *triple)
    row = score_frame(pd.DataFrame([answers])).iloc[0]
    assert is_missing(row["mig_03"])
    assert row["mig_02"] == 1 and row["mig_04"] == 1
    assert row["mig_seq"] is None
    assert row[flag] == 1
    others = {"flag_res_unknown", "flag_family_disruption", "flag_res_inconsistent"} - {flag}
    assert all(row[other] == 0 for other in others)


# ---------------------------------------------------------------- current migration and covariates


@pytest.mark.parametrize(
    ("parent_away", "mother_away", "father_away", "expected"),
    [
        (0, np.nan, np.nan, 0),  # not asked
        (0, 0, 0, 0),
        (1, 0, 0, 0),
        (1, 1, 1, 0),  # under 6 months does not count
        (1, 2, 0, 1),  # mother only
        (1, 1, 3, 2),  # father only
        (1, 4, 2, 3),  # both
        (1, np.nan, 3, None),
        (np.nan, np.nan, np.nan, None),
        (np.nan, 3, 0, 1),
    ],
)
def test_migration_now(parent_away, mother_away, father_away, expected):
    row = score(parent_away=parent_away, mother_away=mother_away, father_away=father_away)
    if expected is None:
        assert is_missing(row["migration_now"])
    else:
        assert row["migration_now"] == expected


@pytest.mark.parametrize(("edu", "collapsed"), [(1, 1), (2, 1), (3, 2), (4, 3), (5, 3), (np.nan, None)])
def test_collapsed_education(edu, collapsed):
    row = score(father_edu=edu, mother_edu=edu)
    for code in ("father_edu3", "mother_edu3"):
        assert is_missing(row[code]) if collapsed is None else row[code] == collapsed


@pytest.mark.parametrize(("siblings", "only_child"), [(0, 1), (1, 0), (3, 0), (np.nan, None)])
def test_only_child(siblings, only_child):
    row = score(siblings=siblings)
    assert is_missing(row["only_child"]) if only_child is None else row["only_child"] == only_child


@pytest.mark.parametrize(("health", "good"), [(1, 0), (3, 0), (4, 1), (5, 1), (np.nan, None)])
def test_health_good(health, good):
    row = score(health=health)
    assert is_missing(row["health_good"]) if good is None else row["health_good"] == good


@pytest.mark.parametrize(
    ("code", "flagged"),
    [("hukou", 1), ("birth_year", 1), ("family_econ", 1), ("neighbor_relation", 1), ("caregiver", 0), ("ethnicity", 0), ("contact_freq", 0), ("grade", 0)],
)
def test_missing_covariates(code, flagged):
    assert score(**{code: np.nan})["flag_missing_covariates"] == flagged


# ---------------------------------------------------------------- straight-lining and speeding


def test_straightlining():
    assert score(**{c: 4 for c in RSCA_ITEMS})["flag_straightline"] == 1
    assert score(**{**{c: 4 for c in RSCA_ITEMS}, "rsca27": 3})["flag_straightline"] == 0
    assert score(**{**{c: 4 for c in RSCA_ITEMS}, "rsca27": np.nan})["flag_straightline"] == 1
    assert score(**{c: np.nan for c in RSCA_ITEMS})["flag_straightline"] == 0
    assert score()["flag_straightline"] == 0


def test_flag_speeding():
    durations = pd.Series([300, 900, 1000, 1100, 1200], index=list("abcde"))
    flags = flag_speeding(durations)  # median 1000, threshold 333.3
    assert str(flags.dtype) == "Int64"
    assert list(flags.index) == list("abcde")
    assert flags.tolist() == [1, 0, 0, 0, 0]
    assert flag_speeding(pd.Series([100, 300, 300])).tolist() == [0, 0, 0]  # exactly a third is not below
    assert flag_speeding(pd.Series([99.9, 300, 300])).tolist() == [1, 0, 0]
    assert flag_speeding(pd.Series([np.nan, 10, 300, 300])).tolist() == [0, 1, 0, 0]  # median of 10, 300, 300
    assert flag_speeding(pd.Series([np.nan, np.nan])).tolist() == [0, 0]


def test_score_wave_flags_speeding_over_the_wave():
    frames = [{**base(), "duration_s": d} for d in (300, 900, 1000, 1100, 1200)]
    out = score_wave(pd.DataFrame(frames))
    assert out["flag_speeding"].tolist() == [1, 0, 0, 0, 0]


def test_unreadable_submission_dates_give_no_age():
    values = [np.nan, None, "", "yesterday", "2021-13-01T10:00:00+08:00", "2021/07/15", pd.NaT]
    frame = pd.DataFrame([base() for _ in values])
    frame["submitted_at"] = pd.Series(values, dtype=object)
    ages = score_frame(frame)["age"]
    assert ages.isna().all()


def test_datetime_objects_and_naive_strings_use_their_own_date():
    import datetime as dt

    tz = dt.timezone(dt.timedelta(hours=-5))
    frame = pd.DataFrame([{**base(), "birth_month": 8}] * 3)
    frame["submitted_at"] = pd.Series(
        [dt.datetime(2021, 7, 31, 23, 30, tzinfo=tz), "2021-08-01T00:30:00", "2021-08-01"], dtype=object
    )
    assert score_frame(frame)["age"].tolist() == [11, 12, 12]


def test_an_explicit_instrument():
    from scoring.instrument import load_instrument

    frame = pd.DataFrame([base(), {**base(), "rsca01": np.nan}])
    pd.testing.assert_frame_equal(score_frame(frame, load_instrument()), score_frame(frame))
