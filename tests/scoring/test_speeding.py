"""One speeding rule (``scoring.engine.flag_speeding``): below a third of the wave's median duration.

The export frames (``surveys.frames``) stream a wave in chunks and call the same
rule with the wave's median read once; the reference cohort gives the
README's median (1510.5 s) and the reference flags.
"""

import numpy as np
import pandas as pd
import pytest

from scoring.engine import flag_speeding, median_duration


@pytest.fixture
def cohort(reference_dir):
    raw = pd.read_csv(reference_dir / "cohort_1500.csv", dtype=str, keep_default_na=False)
    expected = pd.read_csv(reference_dir / "cohort_1500_scored.csv", dtype=str, keep_default_na=False)
    return raw["duration_s"].replace("", None), expected.set_index("pid").loc[raw["pid"], "flag_speeding"].astype(int)


def test_the_reference_cohorts_median_and_flags(cohort):
    durations, expected = cohort
    assert median_duration(durations) == 1510.5  # ../shared/reference/README.md
    assert flag_speeding(durations).tolist() == expected.tolist()


def test_chunks_compared_with_the_wave_median_give_the_flags_of_the_whole_wave(cohort):
    durations, _ = cohort
    median = median_duration(durations)
    chunks = [flag_speeding(durations.iloc[start : start + 97], median) for start in range(0, len(durations), 97)]
    assert pd.concat(chunks).tolist() == flag_speeding(durations).tolist()
    shortest = durations.astype(float).sort_values().iloc[:97]  # a chunk's own median is not the wave's
    assert flag_speeding(shortest, median).sum() > flag_speeding(shortest).sum()


def test_the_median_and_the_threshold():
    assert median_duration([None, 10, "300", 300, np.nan]) == 300.0  # missing durations are left out
    assert median_duration([None, np.nan]) is None and median_duration([]) is None
    series = pd.Series([99.9, 100, None, 5000], index=list("wxyz"))
    flags = flag_speeding(series, 300.0)
    assert flags.tolist() == [1, 0, 0, 0] and list(flags.index) == list("wxyz") and str(flags.dtype) == "Int64"
    assert flag_speeding(series, None).tolist() == [0, 0, 0, 0]  # no median known: nobody is speeding
