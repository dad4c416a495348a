"""Importing the reference cohort and exporting it gives the reference's derived values and flow."""

import re

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from scoring.cleaning import CLEANING_RULES
from scoring.instrument import default_instrument
from tests.reference import readme_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(reference_dir, tmp_path):
    call_command("import_responses", str(reference_dir / "cohort_1500.csv"), study="A", wave="2021-01")
    out = tmp_path / "export.csv"
    call_command("export_responses", wave="2021-01", out=str(out))
    return pd.read_csv(out, dtype={"pid": str}, keep_default_na=True)


def test_export_columns_follow_the_dictionary(exported):
    assert list(exported.columns) == default_instrument().codes


def test_every_derived_value_and_flag_matches_the_reference(exported, reference_dir):
    expected = pd.read_csv(reference_dir / "cohort_1500_scored.csv", dtype={"pid": str})
    assert len(exported) == len(expected)
    merged = expected.merge(exported, on="pid", suffixes=("_expected", "_exported"), validate="one_to_one")
    assert len(merged) == len(expected)
    for code in expected.columns.drop(["pid", "analytic"]):
        want, got = merged[f"{code}_expected"], merged[f"{code}_exported"]
        if want.dtype == object or got.dtype == object:
            assert (want.fillna("") == got.fillna("")).all(), code
        else:
            assert (want.isna() == got.isna()).all(), code
            np.testing.assert_allclose(got[want.notna()], want[want.notna()], rtol=0, atol=1e-9, err_msg=code)


def test_cleaned_export_gives_the_reference_flow(reference_dir, tmp_path, capsys):
    call_command("import_responses", str(reference_dir / "cohort_1500.csv"), study="A", wave="2021-01")
    out = tmp_path / "clean.csv"
    call_command("export_responses", wave="2021-01", out=str(out), cleaned=True)
    printed = capsys.readouterr().out
    expected = readme_flow()
    for rule, _flag in CLEANING_RULES:
        assert re.search(rf"^\s*{rule}\s+\S+\s+True\s+{expected[rule]}\s", printed, re.M), (rule, printed)
    cleaned = pd.read_csv(out, dtype={"pid": str})
    assert len(cleaned) == expected["analytic"]
    reference = pd.read_csv(reference_dir / "cohort_1500_scored.csv", dtype={"pid": str})
    assert set(cleaned["pid"]) == set(reference.loc[reference["analytic"] == 1, "pid"])


def test_importing_twice_changes_nothing(reference_dir, capsys):
    from surveys.models import Response, Score

    path = str(reference_dir / "cohort_1500.csv")
    call_command("import_responses", path, study="A", wave="2021-01")
    before = (Response.objects.count(), Score.objects.count(), max(Score.objects.values_list("scored_at", flat=True)))
    call_command("import_responses", path, study="A", wave="2021-01")
    after = (Response.objects.count(), Score.objects.count(), max(Score.objects.values_list("scored_at", flat=True)))
    assert before == after
    assert "0 stored and scored, 1500 already present" in capsys.readouterr().out
