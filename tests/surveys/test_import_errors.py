"""A malformed import file gets a clear message; invalid rows are reported and not stored; nothing else changes."""

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from studies.models import Respondent
from surveys.models import Response, Score

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "cohort_1500.csv", dtype=str, keep_default_na=False).head(20)


def write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def test_invalid_rows_are_reported_by_row_column_value_and_reason(cohort, tmp_path, capsys):
    bad = cohort.copy()
    bad.loc[2, "gender"] = "7"
    bad.loc[5, "rsca03"] = "2.5"
    bad.loc[5, "birth_month"] = "13"
    bad.loc[9, "submitted_at"] = "yesterday"
    bad.loc[11, "pid"] = bad.loc[10, "pid"]
    call_command("import_responses", write(bad, tmp_path / "bad.csv"), study="A", wave="2021-01", lang="en")
    captured = capsys.readouterr()
    assert "row 4, column gender, value '7': not one of the allowed answers" in captured.err
    assert "row 7, column birth_month, value '13'" in captured.err
    assert "row 7, column rsca03, value '2.5'" in captured.err
    assert "row 11, column submitted_at, value 'yesterday': not an ISO 8601 date and time" in captured.err
    assert "row 13, column pid" in captured.err and "more than once" in captured.err
    assert "16 stored and scored, 0 already present, 4 invalid (not stored)" in captured.out
    stored = set(Response.objects.values_list("respondent__pid", flat=True))
    assert stored == set(bad["pid"].drop(index=[2, 5, 9, 11]))
    assert Score.objects.count() == 16


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not a readable CSV file"),
        ("pid,school_code\nP1,S1\n", "Required columns are missing: class_code, submitted_at"),
        ("pid,school_code,class_code,submitted_at,shoe_size\nP1,S1,C1,2021-01-01T10:00:00+08:00,40\n", "not in the data dictionary: shoe_size"),
        ('pid,school_code,class_code,submitted_at\n"P1,S1,C1\n', "not a readable CSV file"),
    ],
)
def test_malformed_file_is_refused_and_nothing_changes(cohort, tmp_path, content, message):
    call_command("import_responses", write(cohort, tmp_path / "good.csv"), study="A", wave="2021-01", lang="en")
    before = list(Response.objects.order_by("id").values_list("id", "answers", "status"))
    path = tmp_path / "malformed.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_responses", str(path), study="A", wave="2021-01", lang="en")
    assert list(Response.objects.order_by("id").values_list("id", "answers", "status")) == before
    assert Respondent.objects.count() == len(cohort)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_responses", str(tmp_path / "nope.csv"), study="A", wave="2021-01", lang="en")


def test_a_row_of_another_wave_is_refused(cohort, tmp_path, capsys):
    other = cohort.copy()
    other.loc[0, "wave"] = "2022-01"
    call_command("import_responses", write(other, tmp_path / "w.csv"), study="A", wave="2021-01", lang="en")
    assert "row 2, column wave, value '2022-01': not the wave being imported" in capsys.readouterr().err
    assert Response.objects.count() == len(cohort) - 1


def test_messages_are_in_chinese_by_default(cohort, tmp_path, capsys):
    bad = cohort.copy()
    bad.loc[0, "gender"] = "7"
    call_command("import_responses", write(bad, tmp_path / "bad.csv"), study="A", wave="2021-01")
    assert "row 2, column gender, value '7': 不是允许的答案之一" in capsys.readouterr().err
