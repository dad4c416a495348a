"""Answers kept for residence years no longer asked (a corrected birth date) stay stored but never reach an export."""

import pandas as pd
import pyreadstat
import pytest
from django.core.management import call_command

from exports.engine import ExportOptions, export_write
from surveys.models import Response

pytestmark = pytest.mark.django_db


def _rewrite(response, answers, wave) -> None:
    response.answers = answers
    response.save(update_fields=["answers"])
    call_command("rescore", wave=wave.code, study=wave.study.code)


def test_a_kept_answer_for_a_year_not_asked_is_empty_in_the_export(reference_wave, tmp_path):
    """Every child of the cohort answered all 12 years; a birth year moved to age 7 leaves years 9-12 stored, not asked."""
    response = Response.objects.filter(wave=reference_wave, answers__res_child_12__isnull=False).order_by("pk").first()
    original = dict(response.answers)
    assert original["res_child_12"] is not None
    _rewrite(response, {**original, "birth_year": response.submitted_at.year - 8, "birth_month": 1}, reference_wave)
    try:
        export_write(wave=reference_wave, options=ExportOptions(), path=tmp_path / "w.csv")
        frame = pd.read_csv(tmp_path / "w.csv", dtype={"pid": str}, encoding="utf-8-sig")
        row = frame[frame["pid"] == response.respondent.pid].iloc[0]
        assert row[["res_child_12", "res_father_12", "res_mother_12"]].isna().all()
        export_write(wave=reference_wave, options=ExportOptions(format="dta"), path=tmp_path / "w.dta")
        stata, _meta = pyreadstat.read_dta(str(tmp_path / "w.dta"), user_missing=True)
        assert stata.loc[stata["pid"] == response.respondent.pid, "res_child_12"].iloc[0] == "a"  # .a: not asked
    finally:
        _rewrite(response, original, reference_wave)
