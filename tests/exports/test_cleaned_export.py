"""The cleaned data set of the reference cohort: 1,300 analytic rows, the README's flow, rules switchable."""

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exports.engine import ExportOptions, export_write, wave_flow
from scoring.cleaning import CLEANING_RULES
from scoring.instrument import default_instrument
from tests.paths import REFERENCE_DIR

from .conftest import readme_flow, reference_flow

pytestmark = pytest.mark.django_db


def _flow(result):
    return {row["rule"]: row for row in result.flow}


def test_cleaned_export_holds_the_analytic_rows_and_the_readme_flow(reference_wave, tmp_path):
    result = export_write(wave=reference_wave, options=ExportOptions(cleaned=True), path=tmp_path / "clean.csv")
    expected = readme_flow()
    flow = _flow(result)
    assert flow["raw"]["remaining"] == 1500
    for rule, _flag in CLEANING_RULES:
        assert flow[rule]["enabled"] is True
        assert flow[rule]["dropped"] == expected[rule], rule
    assert flow["analytic"]["remaining"] == expected["analytic"] == result.row_count
    frame = pd.read_csv(tmp_path / "clean.csv", dtype={"pid": str}, encoding="utf-8-sig")
    assert len(frame) == expected["analytic"]
    assert list(frame.columns) == default_instrument().codes
    reference = pd.read_csv(REFERENCE_DIR / "cohort_1500_scored.csv", dtype={"pid": str})
    assert set(frame["pid"]) == set(reference.loc[reference["analytic"] == 1, "pid"])
    for _rule, flag in CLEANING_RULES:  # every flag is a 0/1 column; the analytic rows raise none
        assert set(frame[flag].unique()) <= {0}
    assert (tmp_path / "clean.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_raw_export_keeps_every_row_and_every_flag_as_0_1(reference_wave, tmp_path):
    result = export_write(wave=reference_wave, options=ExportOptions(), path=tmp_path / "raw.csv")
    frame = pd.read_csv(tmp_path / "raw.csv", dtype={"pid": str}, encoding="utf-8-sig")
    assert len(frame) == result.row_count == 1500
    for _rule, flag in CLEANING_RULES:
        assert set(frame[flag].unique()) <= {0, 1}, flag
    assert _flow(result)["analytic"]["remaining"] == readme_flow()["analytic"]  # the flow goes with a raw export too


@pytest.mark.parametrize("skip", [("speeding",), ("family_disruption", "straightline"), tuple(r for r, _ in CLEANING_RULES)])
def test_switching_rules_off_changes_the_flow_as_expected(reference_wave, tmp_path, skip):
    options = ExportOptions(cleaned=True, rules={rule: False for rule in skip})
    result = export_write(wave=reference_wave, options=options, path=tmp_path / "clean.csv")
    expected = reference_flow(skip=skip)
    flow = _flow(result)
    for rule, _flag in CLEANING_RULES:
        assert flow[rule]["enabled"] is (rule not in skip)
        assert flow[rule]["dropped"] == expected[rule], rule
    assert result.row_count == expected["analytic"] == flow["analytic"]["remaining"]
    assert result.row_count > readme_flow()["analytic"]


def test_flow_of_the_wave_page_is_the_exports_flow(reference_wave, tmp_path):
    result = export_write(wave=reference_wave, options=ExportOptions(cleaned=True, rules={"speeding": False}), path=tmp_path / "c.csv")
    assert wave_flow(wave=reference_wave, rules={"speeding": False}) == result.flow


def test_chunks_give_the_same_file_and_flow_as_one_frame(reference_wave, tmp_path):
    whole = export_write(wave=reference_wave, options=ExportOptions(cleaned=True), path=tmp_path / "whole.csv")
    chunked = export_write(wave=reference_wave, options=ExportOptions(cleaned=True), path=tmp_path / "chunked.csv", chunk_size=97)
    assert chunked.flow == whole.flow
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert chunked.fingerprint == whole.fingerprint


def test_queries_do_not_depend_on_the_number_of_rows(reference_wave, tmp_path):
    from tests.factories import ResponseFactory

    small = ResponseFactory(status="submitted", duration_s=900, answers={"gender": 1}).wave
    counts = []
    for wave in (small, reference_wave):
        for chunk_size in (50, 20_000):
            with CaptureQueriesContext(connection) as queries:
                export_write(wave=wave, options=ExportOptions(cleaned=True), path=tmp_path / "q.csv", chunk_size=chunk_size)
            counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 4  # size and median, the rows, and the analysis app's derived columns
