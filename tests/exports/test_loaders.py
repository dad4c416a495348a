"""The loader scripts of an export, run with Debian's R; the Stata do-file; datapackage.json validated by frictionless.

The R loader must give back the export: the same values (numbers, text,
date-times as local wall-clock times), the same missing cells, the variable
labels (the full wording) and the value labels of the codebook.
"""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis import plots
from exports.documents import bundle_write
from exports.engine import ExportOptions, export_write
from tests.rscript import r_available, require_r, run_r

pytestmark = pytest.mark.django_db
MISSING_LABELS = ("未询问（按问卷跳转规则未问到）", "未回答")

DUMP = r"""
suppressPackageStartupMessages({ library(haven); library(readr) })
setwd(FOLDER)
source(SCRIPT)
out <- function(lines, name) { con <- file(file.path(RESULTS, name), open = "wb"); writeLines(enc2utf8(lines), con, useBytes = TRUE); close(con) }
cell <- function(x) {
  y <- haven::zap_labels(x)
  if (inherits(y, "POSIXct")) return(format(y, "%Y-%m-%dT%H:%M:%S", tz = "UTC"))
  if (is.numeric(y)) return(ifelse(is.na(y), NA, sprintf("%.17g", y)))
  as.character(y)
}
cells <- lapply(data, cell)
cells <- lapply(cells, function(x) ifelse(is.na(x), "<NA>", gsub("[\t\n]", " ", x)))
out(c(paste(names(data), collapse = "\t"), do.call(paste, c(unname(cells), sep = "\t"))), "values.tsv")
labels <- vapply(names(data), function(n) {
  l <- attr(data[[n]], "labels")
  l <- l[!is.na(l)]
  paste(n, attr(data[[n]], "label"), paste(unname(l), names(l), sep = "=", collapse = "|"), sep = "\t")
}, "")
out(labels, "labels.tsv")
out(c(paste(levels(data_factors$gender), collapse = "|"), paste(class(data_factors$gender), collapse = "|")), "factors.txt")
"""


@pytest.fixture(scope="module")
def bundles(reference_wave, django_db_blocker, tmp_path_factory):
    """The cleaned wave in every format, unzipped in a folder each, and the CSV export as the reference."""
    folders = {}
    with django_db_blocker.unblock():
        for fmt in ("csv", "dta", "sav", "xlsx"):
            folder = tmp_path_factory.mktemp(fmt)
            result = export_write(wave=reference_wave, options=ExportOptions(cleaned=True, format=fmt), path=folder / f"data.{fmt}")
            bundle = bundle_write(result, folder / "bundle.zip", "clean")
            with zipfile.ZipFile(bundle) as archive:
                archive.extractall(folder / "unzipped")
            folders[fmt] = (folder / "unzipped", result)
    return folders


def run_loader(folder, results_name="r"):
    script = DUMP.replace("FOLDER", json.dumps(str(folder))).replace("SCRIPT", json.dumps("clean_load.R"))
    results = folder.parent / results_name
    results.mkdir(exist_ok=True)
    run_r(script.replace("RESULTS", json.dumps(str(results))))
    values = pd.read_csv(results / "values.tsv", sep="\t", dtype=str, keep_default_na=False, quoting=3, encoding="utf-8")
    labels = {}
    for line in (results / "labels.tsv").read_text(encoding="utf-8").splitlines():
        name, label, value_labels = (line.split("\t") + ["", ""])[:3]
        labels[name] = (label, value_labels)
    factors = (results / "factors.txt").read_text(encoding="utf-8").splitlines()
    return values, labels, factors


def expected_frame(folder) -> pd.DataFrame:
    """The CSV export as text, date-times as local wall-clock times (what Stata and SPSS files hold)."""
    frame = pd.read_csv(folder / "clean.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column in ("started_at", "submitted_at"):
        frame[column] = frame[column].str.slice(0, 19)
    return frame


@pytest.mark.parametrize("fmt", ["csv", "dta", "sav", "xlsx"])
def test_the_r_loader_gives_the_export_with_its_labels(bundles, fmt):
    require_r("haven", "readr")
    if fmt == "xlsx" and not r_available("readxl"):
        pytest.skip("readxl is not installed")
    folder, result = bundles[fmt]
    values, labels, factors = run_loader(folder)
    expected = expected_frame(bundles["csv"][0])
    assert list(values.columns) == list(expected.columns) == result.columns
    assert len(values) == len(expected) == result.row_count
    for spec in result.specs:
        got, want = values[spec.name], expected[spec.name]
        assert ((got == "<NA>") == (want == "")).all(), spec.name  # the same missing cells
        present = want != ""
        if spec.type in ("string", "datetime"):
            assert (got[present] == want[present]).all(), spec.name
        else:
            np.testing.assert_allclose(got[present].astype(float), want[present].astype(float), rtol=1e-12, err_msg=spec.name)
        label, value_labels = labels[spec.name]
        assert label == spec.label["zh-hans"], spec.name
        codes = dict(part.split("=", 1) for part in value_labels.split("|")) if value_labels else {}
        want_labels = {str(key): text for key, text in spec.values.get("zh-hans", {}).items()}
        if fmt == "sav" and spec.item:  # every item declares the user-missing codes (tagged NA labels of .dta drop out as NA)
            want_labels.update({"-8": MISSING_LABELS[0], "-9": MISSING_LABELS[1]})
        assert codes == want_labels, spec.name
    levels = factors[0].split("|")  # as_factor: the labels as levels (with the missing codes' for Stata and SPSS)
    assert [level for level in levels if level not in MISSING_LABELS] == ["男", "女"] and factors[1] == "factor"
    assert set(levels) - {"男", "女"} == (set(MISSING_LABELS) if fmt in ("dta", "sav") else set())


def test_the_loader_defines_the_sequences_when_traminer_is_there(bundles):
    folder, _ = bundles["csv"]
    script = (folder / "clean_load.R").read_text()
    assert 'requireNamespace("TraMineR", quietly = TRUE)' in script
    assert "TraMineR::seqdef(" in script and "alphabet = 1:4" in script
    assert 'mig_states <- c("NM", "MG", "LB1", "LB2")' in script
    assert 'mig_seq <- mig_define(c("mig_01", "mig_02"' in script and 'cpal = mig_colours' in script
    # the researcher's sequence plots in R take the report's colours
    assert f'mig_colours <- c({", ".join(f"{chr(34)}{colour}{chr(34)}" for colour in plots.STATUS_COLOURS)})' in script


def test_the_stata_do_file_labels_the_data(bundles):
    folder, result = bundles["csv"]
    do = (folder / "clean_load.do").read_text(encoding="utf-8")
    strings = [str(i) for i, spec in enumerate(result.specs, start=1) if spec.type in ("string", "datetime")]
    assert f'import delimited using "clean.csv", clear varnames(1) case(preserve) encoding("utf-8") bindquote(strict) stringcols({" ".join(strings)})' in do
    assert 'label define gender 1 `"男"\' 2 `"女"\', replace' in do and "label values gender gender" in do
    assert 'label define flag_speeding 0 `"否"\' 1 `"是"\', replace' in do
    assert 'label variable gender `"你的性别是？"\'' in do
    assert 'generate double submitted_at_tc = clock(subinstr(substr(submitted_at, 1, 19), "T", " ", 1), "YMDhms")' in do
    assert 'notes _dta: study: A; waves: 1=2021-01' in do
    assert do.count("notes _dta:") == len(result.notes())
    for line in do.splitlines():
        assert line.count('`"') == line.count("\"'"), line  # compound quotes balanced
        if line.startswith("label define "):
            assert len(line.split()[2]) <= 32
    dta_do = (bundles["dta"][0] / "clean_load.do").read_text(encoding="utf-8")
    assert 'use "clean.dta", clear' in dta_do and "label define" not in dta_do


def test_datapackage_is_valid_and_documents_labels_and_missing_values(bundles):
    frictionless = pytest.importorskip("frictionless")
    folder, result = bundles["csv"]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    data = package["resources"][0]
    assert data["path"] == "clean.csv" and data["hash"] == f"sha256:{result.sha256}"
    fields = {field["name"]: field for field in data["schema"]["fields"]}
    assert list(fields) == result.columns
    assert fields["gender"]["categories"] == [{"value": 1, "label": "男"}, {"value": 2, "label": "女"}]
    assert fields["contact_freq"]["x-asked-when"] == "parent_away==1"
    assert fields["submitted_at"]["type"] == "datetime" and fields["rsca"]["type"] == "number"
    assert data["schema"]["missingValues"] == [""] and "not asked" in data["schema"]["x-missing-values"][0]["label"]
    assert package["x-waves"][0]["instrument_fingerprint"] == result.instrument_fingerprint
    dta = json.loads((bundles["dta"][0] / "datapackage.json").read_text(encoding="utf-8"))
    assert [value["value"] for value in dta["resources"][0]["schema"]["missingValues"]] == [".", ".a", ".b"]
    sav = json.loads((bundles["sav"][0] / "datapackage.json").read_text(encoding="utf-8"))
    assert [value["value"] for value in sav["resources"][0]["schema"]["missingValues"]] == ["", "-8", "-9"]
