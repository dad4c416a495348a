"""Stata, SPSS, Excel, long and sequence layouts, hashed pid and the codebook, on the reference cohort."""

import csv
import io
import zipfile

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from exports.documents import bundle_write, write_documents
from exports.engine import ExportOptions, export_write
from scoring.instrument import default_instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleaned_csv(reference_wave, tmp_path):
    export_write(wave=reference_wave, options=ExportOptions(cleaned=True), path=tmp_path / "clean.csv")
    return pd.read_csv(tmp_path / "clean.csv", dtype={"pid": str}, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", ["dta", "sav", "zsav"])
def test_stata_and_spss_files_read_back_with_the_same_values_and_their_labels(reference_wave, tmp_path, cleaned_csv, fmt):
    path = tmp_path / f"clean.{fmt}"
    result = export_write(wave=reference_wave, options=ExportOptions(cleaned=True, format=fmt, lang="en"), path=path)
    read = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    frame, meta = read(str(path))  # extended and user-missing codes read as missing
    instrument = default_instrument()
    assert list(frame.columns) == instrument.codes
    assert len(frame) == len(cleaned_csv) == result.row_count
    for code in instrument.codes:
        got, want = frame[code], cleaned_csv[code]
        if instrument[code].type == "datetime":  # local wall-clock time in the file, ISO 8601 with the offset in the CSV
            local = pd.to_datetime(want, utc=True, format="ISO8601").dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
            assert (got == local).all(), code
        elif instrument[code].type == "string":
            assert (got.where(got.notna(), "").astype(str) == want.fillna("").astype(str)).all(), code
        else:
            assert (got.isna() == want.isna()).all(), code
            np.testing.assert_allclose(got[want.notna()].astype(float), want[want.notna()].astype(float), err_msg=code)
    labels = meta.column_names_to_labels
    assert labels["gender"] == instrument["gender"].text("en")
    assert labels["flag_speeding"] == instrument["flag_speeding"].description
    cut, full = labels["pid"], instrument["pid"].description  # cut at a word boundary, the whole text in the codebook
    assert len(cut) <= 80 < len(full) and cut.endswith("…") and full.startswith(cut[:-1]) and full[len(cut) - 1] == " "
    missing = {"a": "not asked (skipped by the questionnaire's branching)", "b": "not answered"}  # items: .a/.b or -8/-9
    if fmt != "dta":
        missing = {-8: missing["a"], -9: missing["b"]}
    gender_labels = {(k if isinstance(k, str) else int(k)): v for k, v in meta.variable_value_labels["gender"].items()}
    assert gender_labels == {**{option.code: option.text("en") for option in instrument["gender"].options}, **missing}
    assert {int(k) for k in meta.variable_value_labels["mig_01"]} == {1, 2, 3, 4}  # a derived status: no missing codes
    assert {int(k): v for k, v in meta.variable_value_labels["flag_speeding"].items()} == {0: "no", 1: "yes"}


def test_value_labels_are_chinese_by_default(reference_wave, tmp_path):
    path = tmp_path / "clean.sav"
    export_write(wave=reference_wave, options=ExportOptions(format="sav"), path=path)
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    option = default_instrument()["hukou"].options[0]
    assert meta.variable_value_labels["hukou"][option.code] == option.text("zh-hans")


def test_long_layout_one_row_per_respondent_and_year(reference_wave, tmp_path, cleaned_csv):
    export_write(wave=reference_wave, options=ExportOptions(cleaned=True, layout="long"), path=tmp_path / "long.csv")
    long = pd.read_csv(tmp_path / "long.csv", dtype={"pid": str}, encoding="utf-8-sig")
    assert list(long.columns) == ["pid", "wave", "year", "res_child", "res_father", "res_mother", "mig"]
    assert len(long) == 12 * len(cleaned_csv)
    wide = long.pivot(index="pid", columns="year", values="mig")
    expected = cleaned_csv.set_index("pid")[[f"mig_{year:02d}" for year in range(1, 13)]]
    expected.columns = range(1, 13)
    pd.testing.assert_frame_equal(wide.loc[expected.index].astype(float), expected.astype(float), check_names=False)
    father = long.pivot(index="pid", columns="year", values="res_father").loc[expected.index]
    np.testing.assert_array_equal(father[7].fillna(-1), cleaned_csv.set_index("pid")["res_father_07"].fillna(-1))


def test_sequence_layout_for_traminer(reference_wave, tmp_path, cleaned_csv):
    export_write(wave=reference_wave, options=ExportOptions(cleaned=True, layout="sequences"), path=tmp_path / "seq.csv")
    seq = pd.read_csv(tmp_path / "seq.csv", dtype={"pid": str}, encoding="utf-8-sig")
    assert list(seq.columns) == ["pid", *[f"mig_{year:02d}" for year in range(1, 13)]]
    assert len(seq) == len(cleaned_csv)
    assert seq.iloc[:, 1:].notna().all().all()  # the analytic sample has complete sequences


def test_hashed_pid_is_salted_per_export_and_keeps_rows_apart(reference_wave, tmp_path, cleaned_csv):
    first = export_write(wave=reference_wave, options=ExportOptions(cleaned=True, hash_pid=True), path=tmp_path / "h1.csv")
    export_write(wave=reference_wave, options=ExportOptions(cleaned=True, hash_pid=True), path=tmp_path / "h2.csv")
    h1 = pd.read_csv(tmp_path / "h1.csv", dtype={"pid": str}, encoding="utf-8-sig")
    h2 = pd.read_csv(tmp_path / "h2.csv", dtype={"pid": str}, encoding="utf-8-sig")
    assert h1["pid"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert h1["pid"].is_unique and len(h1) == len(cleaned_csv)
    assert not set(h1["pid"]) & set(cleaned_csv["pid"])
    assert not set(h1["pid"]) & set(h2["pid"])  # a new salt for every export
    pd.testing.assert_frame_equal(h1.drop(columns="pid"), cleaned_csv.drop(columns="pid"), check_dtype=False)
    text = (tmp_path / "h1.csv").read_text(encoding="utf-8-sig")
    assert not any(pid in text for pid in cleaned_csv["pid"].head(50))
    assert first.options.hash_pid


def test_codebook_and_bundle_carry_labels_flow_version_and_fingerprint(reference_wave, tmp_path):
    options = ExportOptions(cleaned=True, rules={"speeding": False}, format="dta")
    result = export_write(wave=reference_wave, options=options, path=tmp_path / "clean.dta")
    paths = {path.name: path for path in write_documents(result, tmp_path, "clean")}
    rows = list(csv.DictReader(io.StringIO(paths["clean_codebook.csv"].read_text(encoding="utf-8-sig"))))
    meta = {row["code"]: row["label"] for row in rows if row["section"] == "meta"}
    assert meta["instrument version"] == reference_wave.instrument.version
    assert meta["export fingerprint (SHA-256 of the data file)"] == result.fingerprint
    assert meta["rules switched off"] == "speeding"
    flow = {row["code"]: row for row in rows if row["section"] == "flow"}
    assert flow["speeding"]["enabled"] == "0" and flow["speeding"]["dropped"] == "0"
    assert int(flow["analytic"]["remaining"]) == result.row_count
    variables = {row["code"]: row for row in rows if row["section"] == "variable"}
    instrument = default_instrument()
    assert list(variables) == instrument.codes
    assert variables["rsca01"]["scale"] and variables["rsca02"]["type"] == "likert5"
    assert any(row["reverse"] == "yes" for row in variables.values())
    assert "1=" in variables["gender"]["options"]
    for lang in ("zh-hans", "en"):  # the whole wording and the options in both languages
        assert variables["contact_freq"][f"label_{lang}"] == instrument["contact_freq"].text(lang)
        assert variables["contact_freq"][f"options_{lang}"].split("|")[0] == f"1={instrument['contact_freq'].options[0].text(lang)}"
    assert variables["contact_freq"]["asked_when"] == "parent_away==1"
    assert variables["res_child_12"]["asked_when"] == "age+1>=12"
    assert variables["contact_freq"]["missing"].startswith(".a = not asked")
    assert variables["rsca01"]["measure"] == "ordinal" and variables["gender"]["measure"] == "nominal"
    html = paths["clean_codebook.html"].read_text()
    assert result.fingerprint in html and "missing_covariates" in html and "rsca01" in html
    assert instrument["contact_freq"].text("zh-hans") in html and "parent_away==1" in html
    bundle = bundle_write(result, tmp_path / "b.zip", "clean")
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == [
            "clean.dta", "clean_codebook.css", "clean_codebook.csv", "clean_codebook.html", "clean_flow.csv", "clean_load.R",
            "clean_load.do", "datapackage.json",
        ]
        html = archive.read("clean_codebook.html").decode()
        assert '<link rel="stylesheet" href="clean_codebook.css">' in html and "<style" not in html


def test_excel_export_streams_rows_with_labels_and_flow(reference_wave, tmp_path):
    from openpyxl import load_workbook

    result = export_write(
        wave=reference_wave, options=ExportOptions(cleaned=True, layout="sequences", format="xlsx"), path=tmp_path / "s.xlsx"
    )
    book = load_workbook(tmp_path / "s.xlsx", read_only=True)
    assert book.sheetnames == ["data", "variables", "flow"]
    data = list(book["data"].iter_rows(values_only=True))
    assert data[0][:2] == ("pid", "mig_01") and len(data) == result.row_count + 1
    flow = {row[1]: row for row in book["flow"].iter_rows(values_only=True)}  # wave, rule, flag, enabled, dropped, remaining
    assert flow["analytic"][5] == result.row_count and flow["analytic"][0] == "2021-01"


def test_columns_of_the_latest_analysis_run_join_by_pid_before_hashing(reference_wave, tmp_path, cleaned_csv):
    from unittest import mock

    pids = cleaned_csv["pid"].head(3).tolist()
    extra = pd.DataFrame(
        {"tatt": [0.5, -1.25, 0.0], "traj_cluster": pd.array([1, 2, 1], dtype="Int64"), "traj_label": ["NM", "LB2", "NM"]},
        index=pd.Index(pids, name="pid"),
    )
    with mock.patch("exports.engine.wave_derived_columns", return_value=extra):
        export_write(wave=reference_wave, options=ExportOptions(cleaned=True), path=tmp_path / "x.csv")
        export_write(wave=reference_wave, options=ExportOptions(cleaned=True, hash_pid=True), path=tmp_path / "h.csv")
    frame = pd.read_csv(tmp_path / "x.csv", dtype={"pid": str}, encoding="utf-8-sig").set_index("pid")
    assert frame.loc[pids, "tatt"].tolist() == [0.5, -1.25, 0.0]
    assert frame.loc[pids, "traj_label"].tolist() == ["NM", "LB2", "NM"]
    assert frame["traj_cluster"].notna().sum() == 3
    hashed = pd.read_csv(tmp_path / "h.csv", encoding="utf-8-sig")
    assert sorted(hashed["traj_label"].dropna()) == ["LB2", "NM", "NM"]
