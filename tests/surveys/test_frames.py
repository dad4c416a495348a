"""Answers and export typing as frames: the one-step paths give what the column-by-column ones give (no database)."""

import numpy as np
import pandas as pd
import pytest

from scoring.instrument import default_instrument
from surveys.frames import answers_frame, typed_for_export

INSTRUMENT = default_instrument()
CODES = INSTRUMENT.item_codes


def column_by_column(answers, index=None):
    """What ``answers_frame`` computed before its one-step path: ``pd.to_numeric`` on every column."""
    frame = pd.DataFrame.from_records(answers, index=index, columns=CODES)
    return frame.apply(pd.to_numeric, errors="coerce").astype("float64")


@pytest.mark.parametrize(
    "answers",
    [
        [],
        [{}],
        [{CODES[0]: 1}, {CODES[1]: 2.5, "not_an_item": 3}],
        [{CODES[0]: None}, {CODES[0]: 4}],
        [{CODES[0]: "3"}, {CODES[1]: None}],  # a number as text: the column-by-column path
        [{CODES[0]: True}, {CODES[1]: 2}],  # a boolean: the column-by-column path
        [{CODES[0]: "x", CODES[1]: 2}],  # not a number: NaN
        [{CODES[0]: [1, 2]}],
    ],
)
def test_answers_frame_equals_the_column_by_column_conversion(answers):
    pd.testing.assert_frame_equal(answers_frame(answers, INSTRUMENT), column_by_column(answers))


def test_answers_frame_keeps_the_index():
    answers = [{CODES[0]: 1}, {CODES[2]: 5}]
    pd.testing.assert_frame_equal(answers_frame(answers, INSTRUMENT, index=[7, 9]), column_by_column(answers, index=[7, 9]))


def test_compact_typing_holds_the_same_values_as_float64():
    stamp = pd.Timestamp("2021-03-04 10:11:12.5", tz="Asia/Shanghai")
    frame = pd.DataFrame(
        {
            "pid": ["P1", None, ""],
            "gender": pd.Series([1, None, 2], dtype="object"),
            "dep": [1.25, np.nan, 3.0],
            "flag_speeding": [0.0, 1.0, np.nan],
            "submitted_at": pd.Series([stamp, pd.NaT, stamp], dtype="object"),
        }
    )
    typed = typed_for_export(frame, INSTRUMENT)
    compact = typed_for_export(frame, INSTRUMENT, compact=True)
    for code in ("gender", "dep", "flag_speeding"):
        assert compact[code].dtype == "float64"
        np.testing.assert_array_equal(compact[code].to_numpy(), typed[code].to_numpy(dtype="float64", na_value=np.nan))
    assert list(compact["pid"]) == list(typed["pid"]) == ["P1", None, None]
    assert typed["submitted_at"][0] == stamp.isoformat()
    assert compact["submitted_at"][0] == stamp and pd.isna(compact["submitted_at"][1])
