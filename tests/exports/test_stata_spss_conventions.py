"""Stata and SPSS files to convention, read back by pyreadstat and by R's haven.

.dta release 118 (119 on request), labels from the wording, no/yes for flags,
.a/.b (not asked / not answered, as ``Variable.is_asked`` says row by row),
integer storage, %tc date-times, file label and notes; .sav with -8/-9
user-missing and measurement levels.
"""

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from exports.engine import ExportOptions, export_write, short_label
from scoring.instrument import default_instrument
from tests.rscript import require_r, run_r

pytestmark = pytest.mark.django_db

STATA_TYPES = {65530: "byte", 65529: "int", 65528: "long", 65527: "float", 65526: "double"}


@pytest.fixture(scope="module")
def stat_files(reference_wave, django_db_blocker, tmp_path_factory):
    """The raw wave as .dta (Chinese labels), .sav, and the CSV they are compared with."""
    folder = tmp_path_factory.mktemp("stat")
    with django_db_blocker.unblock():
        results = {
            fmt: export_write(wave=reference_wave, options=ExportOptions(format=fmt), path=folder / f"raw.{fmt}")
            for fmt in ("dta", "sav", "csv")
        }
    csv_frame = pd.read_csv(folder / "raw.csv", dtype={"pid": str}, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    return folder, results, csv_frame


def dta_header(path: Path) -> tuple[int, dict[str, str]]:
    """The release and every variable's storage type, read from the file's own header (format 118/119)."""
    data = path.read_bytes()
    release = int(data[data.find(b"<release>") + 9: data.find(b"</release>")])
    k_at = data.find(b"<K>") + 3
    k = int.from_bytes(data[k_at: k_at + (2 if release == 118 else 4)], "little")
    types_at = data.find(b"<variable_types>") + len(b"<variable_types>")
    types = [int.from_bytes(data[types_at + 2 * i: types_at + 2 * i + 2], "little") for i in range(k)]
    names_at = data.find(b"<varnames>") + len(b"<varnames>")
    names = [data[names_at + 129 * i: names_at + 129 * (i + 1)].split(b"\0")[0].decode() for i in range(k)]
    return release, {name: STATA_TYPES.get(code, f"str{code}" if code <= 2045 else "strL") for name, code in zip(names, types)}


def expected_reasons(csv_frame: pd.DataFrame) -> dict[str, list]:
    """Row by row with the instrument's own ``Variable.is_asked``: 'a' (not asked) or 'b' (not answered) per empty item."""
    instrument = default_instrument()
    expected = {}
    records = csv_frame.to_dict("records")
    for variable in instrument.items:
        tags = []
        for row in records:
            if pd.isna(row[variable.code]):
                answers = {code: row[code] for code in instrument.item_codes if not pd.isna(row[code])}
                age = None if pd.isna(row["age"]) else int(row["age"])
                tags.append("a" if not variable.is_asked(answers, age) else "b")
            else:
                tags.append(None)
        expected[variable.code] = tags
    return expected


def test_dta_is_release_118_with_integer_storage_and_date_times(stat_files):
    folder, _, _ = stat_files
    release, types = dta_header(folder / "raw.dta")
    assert release == 118
    instrument = default_instrument()
    for variable in instrument.variables:
        if variable.type in ("choice", "likert5", "int", "bool"):
            assert types[variable.code] == "long", variable.code
    assert types["dep"] == "long"  # a float of the dictionary whose values are all integral (a sum of items)
    assert types["rsca"] == "double" and types["submitted_at"] == "double" and types["pid"].startswith("str")
    _, meta = pyreadstat.read_dta(str(folder / "raw.dta"), metadataonly=True)
    assert meta.original_variable_types["submitted_at"] == "%tc" and meta.original_variable_types["started_at"] == "%tc"


def test_release_119_on_request(reference_wave, tmp_path):
    export_write(wave=reference_wave, options=ExportOptions(format="dta", stata_version=119), path=tmp_path / "x.dta")
    assert dta_header(tmp_path / "x.dta")[0] == 119
    frame, _ = pyreadstat.read_dta(str(tmp_path / "x.dta"))
    assert len(frame) == 1500


def test_dta_missing_codes_are_not_asked_and_not_answered_as_the_instrument_says(stat_files):
    folder, _, csv_frame = stat_files
    frame, meta = pyreadstat.read_dta(str(folder / "raw.dta"), user_missing=True)
    expected = expected_reasons(csv_frame)
    counts = {"a": 0, "b": 0}
    for code, tags in expected.items():
        got = [value if isinstance(value, str) else None for value in frame[code]]
        assert got == tags, code
        counts["a"] += tags.count("a")
        counts["b"] += tags.count("b")
    assert counts["a"] > 500 and counts["b"] > 20  # the branching of parent_away, and items left empty
    assert meta.missing_user_values["contact_freq"] == ["a", "b"]
    labels = meta.variable_value_labels["contact_freq"]
    assert labels["a"].startswith("未询问") and labels["b"] == "未回答"


def test_dta_labels_file_label_and_notes(stat_files):
    folder, results, _ = stat_files
    _, meta = pyreadstat.read_dta(str(folder / "raw.dta"), metadataonly=True)
    instrument = default_instrument()
    assert meta.column_names_to_labels["gender"] == instrument["gender"].text("zh-hans") == "你的性别是？"
    for code in instrument.codes:  # every label within Stata's 80 characters
        assert len(meta.column_names_to_labels[code]) <= 80, code
    assert meta.variable_value_labels["flag_speeding"] == {0: "否", 1: "是"}
    missing = {"a": "未询问（按问卷跳转规则未问到）", "b": "未回答"}  # every item declares .a/.b, used or not
    assert meta.variable_value_labels["gender"] == {1: "男", 2: "女", **missing}
    assert "rsca" not in meta.missing_user_values  # a score: plain missing
    result = results["dta"]
    assert meta.file_label == result.file_label() and "A 2021-01" in meta.file_label
    notes = "\n".join(meta.notes)
    assert result.instrument_fingerprint in notes and "instrument version 1" in notes and "study: A" in notes
    assert "flow of wave 2021-01: raw 1500" in notes and ".a / -8 = not asked" in notes


def test_sav_user_missing_values_measures_and_notes(stat_files):
    folder, results, csv_frame = stat_files
    frame, meta = pyreadstat.read_sav(str(folder / "raw.sav"), user_missing=True)
    expected = expected_reasons(csv_frame)
    codes = {"a": -8.0, "b": -9.0}
    for code in ("contact_freq", "hukou", "pcf1"):
        want = [codes[tag] if tag else None for tag in expected[code]]
        got = [value if value in (-8.0, -9.0) else None for value in frame[code]]
        assert got == want, code
    assert meta.missing_ranges["contact_freq"] == [{"lo": -9.0, "hi": -9.0}, {"lo": -8.0, "hi": -8.0}]
    assert meta.variable_measure["gender"] == "nominal" and meta.variable_measure["rsca01"] == "ordinal"
    assert meta.variable_measure["rsca"] == "scale" and meta.variable_measure["duration_s"] == "scale"
    assert meta.original_variable_types["gender"] == "F8.0" and meta.original_variable_types["submitted_at"].startswith("DATETIME")
    assert meta.file_label == results["sav"].file_label()
    assert any(results["sav"].instrument_fingerprint in line for line in meta.notes)
    plain, _ = pyreadstat.read_sav(str(folder / "raw.sav"))  # user-missing read as missing
    assert plain["contact_freq"].isna().sum() == sum(tag is not None for tag in expected["contact_freq"])


def test_traj_cluster_is_labelled_with_the_runs_names(reference_wave, tmp_path):
    pids = list(reference_wave.responses.values_list("respondent__pid", flat=True)[:3])
    extra = pd.DataFrame(
        {"tatt": [0.5, -1.25, 0.0], "traj_cluster": pd.array([1, 2, 1], dtype="Int64"), "traj_label": ["NM", "LB2", "NM"]},
        index=pd.Index(pids, name="pid"),
    )
    with mock.patch("exports.engine.wave_derived_columns", return_value=extra):
        export_write(wave=reference_wave, options=ExportOptions(format="dta", lang="en"), path=tmp_path / "x.dta")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "x.dta"))
    assert meta.variable_value_labels["traj_cluster"] == {1: "NM", 2: "LB2"}
    assert frame["traj_cluster"].notna().sum() == 3


def test_labels_are_cut_at_a_word_boundary_or_a_character():
    english = "how often the child talks with the parent(s) who are away (asked when parent_away=1) and more words here"
    cut = short_label(english)
    assert len(cut) <= 80 and cut.endswith("…") and english.startswith(cut[:-1]) and english[len(cut) - 1] == " "
    chinese = "你出生后第1年（出生到1岁之间），你住在哪里？" * 5
    cut = short_label(chinese)
    assert len(cut) == 80 and cut.endswith("…") and chinese.startswith(cut[:-1].rstrip("（，"))
    assert short_label("short text") == "short text"


def test_haven_reads_the_dta_with_labels_tagged_missing_and_date_times(stat_files):
    require_r("haven")
    folder, _, csv_frame = stat_files
    expected = expected_reasons(csv_frame)
    script = f"""
suppressPackageStartupMessages(library(haven))
d <- read_dta({str(folder / "raw.dta")!r})
out <- file("out.txt", open = "wb")
put <- function(...) writeLines(enc2utf8(paste0(...)), out, useBytes = TRUE)
put("rows=", nrow(d))
put("label_gender=", attr(d$gender, "label"))
put("labels_gender=", paste(names(attr(d$gender, "labels")), attr(d$gender, "labels"), sep = ":", collapse = ","))
put("labels_flag=", paste(names(attr(d$flag_speeding, "labels")), attr(d$flag_speeding, "labels"), sep = ":", collapse = ","))
put("file_label=", attr(d, "label"))
put("class_submitted=", paste(class(d$submitted_at), collapse = ","))
put("first_submitted=", format(d$submitted_at[1], "%Y-%m-%d %H:%M:%S"))
for (v in c("contact_freq", "hukou", "pcf1")) put("tags_", v, "=", paste(ifelse(is.na(na_tag(d[[v]])), "", na_tag(d[[v]])), collapse = ","))
close(out)
"""
    folder_r = run_r(script)
    lines = dict(line.split("=", 1) for line in (folder_r / "out.txt").read_text(encoding="utf-8").splitlines())
    instrument = default_instrument()
    assert lines["rows"] == "1500"
    assert lines["label_gender"] == instrument["gender"].text("zh-hans")
    assert lines["labels_gender"].startswith("男:1,女:2,未询问") and lines["labels_flag"] == "否:0,是:1"
    assert lines["file_label"].startswith("A 2021-01 raw")
    assert lines["class_submitted"] == "POSIXct,POSIXt"
    local = pd.Timestamp(csv_frame["submitted_at"][0]).tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M:%S")
    assert lines["first_submitted"] == local
    for code in ("contact_freq", "hukou", "pcf1"):
        assert lines[f"tags_{code}"].split(",") == [tag or "" for tag in expected[code]], code
    assert "a" in lines["tags_contact_freq"].split(",") and "b" in lines["tags_contact_freq"].split(",")


def test_numbers_are_equal_to_the_csv(stat_files):
    folder, _, csv_frame = stat_files
    frame, _ = pyreadstat.read_dta(str(folder / "raw.dta"))
    for code in ("rsca", "dep", "duration_s", "age", "pcr"):
        np.testing.assert_allclose(frame[code].astype(float), csv_frame[code].astype(float), err_msg=code)
