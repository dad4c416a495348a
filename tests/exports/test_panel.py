"""Panels of a study: long (one row per pid and wave) and wide (one row per pid), equal to the per-wave exports.

Study A gets a second wave: the reference cohort less its first 200 children,
a year later, with some answers changed. Each wave is cleaned by its own flow.
"""

import io
import zipfile
from unittest import mock

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from django.core.management import call_command
from django.urls import reverse

from exports.engine import ExportOptions, ExportOptionsError, export_write
from exports.models import ExportJob
from exports.services import export_job_run
from tests.paths import REFERENCE_DIR

pytestmark = pytest.mark.django_db

WAVE_2 = "2022-01"
READ = {"dtype": str, "keep_default_na": False, "encoding": "utf-8-sig"}


@pytest.fixture(scope="module")
def two_waves(reference_wave, django_db_blocker, tmp_path_factory):
    from studies.models import Wave

    source = pd.read_csv(REFERENCE_DIR / "cohort_1500.csv", dtype=str, keep_default_na=False)
    second = source.iloc[200:].copy()
    second["wave"] = WAVE_2
    for column in ("started_at", "submitted_at"):
        second[column] = (pd.to_datetime(second[column], format="ISO8601") + pd.Timedelta(days=365)).map(lambda t: t.isoformat())
    second.loc[second.index[::3], "health"] = "5"
    path = tmp_path_factory.mktemp("panel") / "wave2.csv"
    second.to_csv(path, index=False)
    with django_db_blocker.unblock():
        call_command("import_responses", str(path), study="A", wave=WAVE_2)
        wave_2 = Wave.objects.select_related("study", "instrument").get(study__code="A", code=WAVE_2)
    return reference_wave, wave_2


def _per_wave(waves, tmp_path, **options) -> list[pd.DataFrame]:
    frames = []
    for wave in waves:
        export_write(wave=wave, options=ExportOptions(**options), path=tmp_path / f"{wave.code}.csv")
        frames.append(pd.read_csv(tmp_path / f"{wave.code}.csv", **READ))
    return frames


@pytest.mark.parametrize("cleaned", [False, True])
def test_long_panel_stacks_the_waves_exports(two_waves, tmp_path, cleaned):
    per_wave = _per_wave(two_waves, tmp_path, cleaned=cleaned)
    result = export_write(study=two_waves[0].study, options=ExportOptions(cleaned=cleaned, panel="long"), path=tmp_path / "long.csv")
    long = pd.read_csv(tmp_path / "long.csv", **READ)
    assert len(long) == result.row_count == sum(len(frame) for frame in per_wave)
    assert list(long.columns) == ["pid", "wave_no", *[c for c in per_wave[0].columns if c != "pid"]]
    assert not long.duplicated(["pid", "wave_no"]).any()
    for number, frame in enumerate(per_wave, start=1):
        rows = long[long["wave_no"] == str(number)].drop(columns="wave_no").reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, frame)
    flows = {(row["wave"], row["rule"]): row for row in result.flow}  # a flow per wave
    assert flows[("2021-01", "raw")]["remaining"] == 1500 and flows[(WAVE_2, "raw")]["remaining"] == 1300
    assert [info.rows for info in result.waves] == [len(frame) for frame in per_wave]


@pytest.mark.parametrize("cleaned", [False, True])
def test_wide_panel_puts_the_waves_side_by_side(two_waves, tmp_path, cleaned):
    per_wave = _per_wave(two_waves, tmp_path, cleaned=cleaned)
    result = export_write(study=two_waves[0].study, options=ExportOptions(cleaned=cleaned, panel="wide"), path=tmp_path / "wide.csv")
    wide = pd.read_csv(tmp_path / "wide.csv", **READ)
    pids = pd.unique(pd.concat([frame["pid"] for frame in per_wave]))
    assert len(wide) == result.row_count == len(pids) and wide["pid"].is_unique
    assert list(wide["pid"]) == list(pids)
    wide = wide.set_index("pid")
    for number, frame in enumerate(per_wave, start=1):
        columns = [f"{code}_w{number}" for code in frame.columns if code != "pid"]
        part = wide[columns]
        part.columns = [code for code in frame.columns if code != "pid"]
        present = part.loc[frame["pid"]]
        pd.testing.assert_frame_equal(present.reset_index(drop=True), frame.drop(columns="pid"))
        absent = part.drop(index=frame["pid"])
        assert (absent == "").all().all() and len(absent) == len(pids) - len(frame)
    assert len(per_wave[1]) < len(per_wave[0])  # the children of wave 1 only have empty wave-2 columns


@pytest.mark.parametrize("panel", ["long", "wide"])
def test_panels_in_stata_and_spss_keep_labels_and_missing_codes(two_waves, tmp_path, panel):
    study = two_waves[0].study
    result = export_write(study=study, options=ExportOptions(panel=panel, format="dta", lang="en"), path=tmp_path / "p.dta")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "p.dta"), user_missing=True)
    suffix = "_w2" if panel == "wide" else ""
    assert len(frame) == result.row_count == (2800 if panel == "long" else 1500)
    tags = frame[f"contact_freq{suffix}"].map(lambda v: v if isinstance(v, str) else "").value_counts()
    assert tags["a"] > 0 and tags["b"] > 0
    missing = {"a": "not asked (skipped by the questionnaire's branching)", "b": "not answered"}
    assert meta.variable_value_labels[f"gender{suffix}"] == {1: "Boy", 2: "Girl", **missing}
    if panel == "wide":
        assert meta.column_names_to_labels["gender_w2"].startswith(f"[{WAVE_2}] ")
        absent = frame["wave_w2"].fillna("") == ""  # the 200 children of wave 1 only: system missing in wave 2, not .a/.b
        assert absent.sum() == 200 and frame.loc[absent, "contact_freq_w2"].map(lambda v: v is None or v != v).all()
        assert meta.column_names_to_labels["gender_w1"].startswith("[2021-01] ")
    else:
        assert meta.variable_value_labels.get("wave_no") is None and set(frame["wave_no"]) == {1, 2}
    assert "wave 2022-01: instrument version 1" in "\n".join(meta.notes)
    sav = export_write(study=study, options=ExportOptions(panel=panel, format="sav"), path=tmp_path / "p.sav")
    frame_sav, meta_sav = pyreadstat.read_sav(str(tmp_path / "p.sav"), user_missing=True)
    assert len(frame_sav) == sav.row_count and (frame_sav[f"contact_freq{suffix}"] == -8).sum() == tags["a"]


def test_a_panel_needs_the_wide_layout_and_a_study(two_waves, tmp_path):
    with pytest.raises(ExportOptionsError):
        ExportOptions(panel="long", layout="sequences")
    with pytest.raises(ExportOptionsError):
        export_write(options=ExportOptions(panel="long"), path=tmp_path / "x.csv")


def test_command_line_panel(two_waves, tmp_path, capsys):
    out = tmp_path / "panel.dta"
    call_command("export_responses", study="A", panel="long", format="dta", out=str(out), cleaned=True, codebook=True)
    printed = capsys.readouterr().out
    assert "wave 2: 2022-01" in printed and "panel_load.do" in printed
    frame, _ = pyreadstat.read_dta(str(out))
    assert f"{len(frame)} rows written" in printed and set(frame["wave_no"]) == {1, 2}
    assert "xtset pid_id wave_no" in (tmp_path / "panel_load.do").read_text()
    call_command("export_responses", study="A", panel="wide", out=str(tmp_path / "w.csv"))
    assert len(pd.read_csv(tmp_path / "w.csv", **READ)) == 1500


def test_api_and_page_start_panel_exports(two_waves, researcher, client, media, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(researcher)
    with mock.patch("exports.tasks.export_job_task.delay", side_effect=lambda job_id: export_job_run(job_id=job_id)):
        with django_capture_on_commit_callbacks(execute=True):
            reply = api.post("/api/v1/exports/", {"study_code": "A", "panel": "wide", "format": "sav"}, format="json")
        assert reply.status_code == 202, reply.content
        assert reply.json()["panel"] == "wide" and reply.json()["study"] == "A" and reply.json()["wave"] is None
        job = ExportJob.objects.get(pk=reply.json()["id"])
        assert job.status == ExportJob.Status.DONE and job.row_count == 1500
        with zipfile.ZipFile(job.file.path) as bundle:
            names = bundle.namelist()
            assert "A_panel_wide_raw.sav" in names and "datapackage.json" in names and "A_panel_wide_raw_load.R" in names
        assert api.post("/api/v1/exports/", {"panel": "wide"}, format="json").status_code == 400
        assert api.post("/api/v1/exports/", {"study_code": "ZZ", "panel": "wide"}, format="json").status_code == 400
        client.force_login(researcher)
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(
                reverse("exports:form", args=[two_waves[1].pk]),
                {"format": "csv", "layout": "wide", "lang": "en", "panel": "long", "stata_version": "118"},
            )
        assert page.status_code == 302
    job = ExportJob.objects.filter(options__panel="long").get()
    assert job.study.code == "A" and job.wave is None and job.row_count == 2800
    listing = client.get(reverse("exports:downloads")).content.decode()
    assert "A 面板 (long)" in listing or "A panel (long)" in listing
    download = client.get(reverse("exports:download", args=[job.pk]))
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as bundle:
        flow = pd.read_csv(bundle.open("A_panel_long_raw_flow.csv"), encoding="utf-8-sig")
    assert list(flow["wave"].unique()) == ["2021-01", WAVE_2]
    assert np.array_equal(flow.loc[flow["rule"] == "raw", "remaining"].to_numpy(), [1500, 1300])


@pytest.mark.parametrize(("panel", "fmt"), [("long", "dta"), ("wide", "csv")])
def test_the_r_loader_reads_a_panel_with_its_labels(two_waves, tmp_path, panel, fmt):
    from exports.documents import write_documents
    from tests.rscript import require_r, run_r

    require_r("haven", "readr")
    result = export_write(study=two_waves[0].study, options=ExportOptions(panel=panel, format=fmt), path=tmp_path / f"p.{fmt}")
    write_documents(result, tmp_path, "p")
    column = "gender" if panel == "long" else "gender_w2"
    script = f"""
setwd({str(tmp_path)!r})
source("p_load.R")
con <- file("out.txt", open = "wb")
writeLines(enc2utf8(c(nrow(data), ncol(data), attr(data${column}, "label"),
  paste(names(attr(data${column}, "labels")), collapse = "|"), sum(is.na(data${column})))), con, useBytes = TRUE)
close(con)
"""
    run_r(script)
    rows, columns, label, labels, missing = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    assert int(rows) == result.row_count == (2800 if panel == "long" else 1500) and int(columns) == len(result.columns)
    assert label == "你的性别是？" and labels.startswith("男|女")
    assert int(missing) >= (200 if panel == "wide" else 0)
