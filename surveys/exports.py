"""Exports of a wave: raw or cleaned, wide or long, CSV, Excel, Stata and SPSS, with a codebook.

Wide: one row per submitted response, columns in dictionary order, option
codes as values, empty for missing, ``pid`` as the only identifier (or its
salted hash). Long: the residence history, one row per respondent and year of
life. Sequences: ``pid`` and ``mig_01``..``mig_12``, the wide layout that
TraMineR's ``seqdef`` reads.

Rows are streamed: the wave is read in chunks (``frames.wave_frame_chunks``,
two queries whatever the number of rows), each chunk is cleaned (the flags
are per row, so the flow of counts is the sum of the chunks' flows), laid out
and written. CSV and Excel are written chunk by chunk; Stata and SPSS files
are written by pyreadstat from one frame, so for those the chunks are kept in
compact float64/object columns and joined once at the end (about 150 MB for
100,000 wide rows; see ``benchmarks/bench_export.py``).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils import timezone

from scoring.cleaning import CLEANING_RULES, CleaningResult, clean, rule_settings
from scoring.instrument import RESIDENCE_PERSONS, RESIDENCE_YEARS, Instrument

from .frames import CHUNK_SIZE, typed_for_export, wave_flags_frame, wave_frame, wave_frame_chunks, wave_size_and_median
from .instruments import instrument_for
from .models import Wave

FORMATS = ("csv", "xlsx", "dta", "sav")
LAYOUTS = ("wide", "long", "sequences")
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "dta": "dta", "sav": "sav"}
PID_HASH_LENGTH = 16
STATA_LABEL_MAX = 80


# --------------------------------------------------------------------------- the contract used by tests/surveys


@dataclass
class WaveExport:
    frame: pd.DataFrame  # typed, de-identified (pid only), columns in dictionary order
    cleaning: CleaningResult | None


def wave_export(*, wave: Wave, cleaned: bool = False, rules: dict | None = None, extra: pd.DataFrame | None = None) -> WaveExport:
    """The wave's submitted responses; with ``cleaned``, only the analytic rows, with the flow of counts."""
    instrument = instrument_for(wave.instrument)
    frame = wave_frame(wave, instrument, extra=extra if extra is not None else wave_extra(wave))
    result = clean(frame, rules=rules) if cleaned else None
    if result is not None:
        frame = frame[result.mask.to_numpy()]
    return WaveExport(frame=typed_for_export(frame, instrument), cleaning=result)


def write_csv(export: WaveExport, path) -> None:
    """UTF-8 with a byte-order mark, so that Excel shows Chinese text correctly; empty for missing."""
    export.frame.to_csv(path, index=False, na_rep="", encoding="utf-8-sig")


# --------------------------------------------------------------------------- options


class ExportOptionsError(ValueError):
    """An export option has a value the export does not know."""


@dataclass(frozen=True)
class ExportOptions:
    cleaned: bool = False
    rules: dict = field(default_factory=dict)  # {rule: enabled}; a rule not named is on
    format: str = "csv"
    layout: str = "wide"
    hash_pid: bool = False
    lang: str = "zh-hans"  # language of value labels in .dta/.sav/.xlsx and the codebook

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ExportOptionsError(f"unknown format {self.format!r} (known: {', '.join(FORMATS)})")
        if self.layout not in LAYOUTS:
            raise ExportOptionsError(f"unknown layout {self.layout!r} (known: {', '.join(LAYOUTS)})")
        try:
            object.__setattr__(self, "rules", rule_settings(self.rules))
        except ValueError as error:
            raise ExportOptionsError(str(error)) from error

    @classmethod
    def from_dict(cls, data: dict | None) -> ExportOptions:
        data = dict(data or {})
        known = {name for name in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ExportOptionsError(f"unknown export options: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def wave_extra(wave) -> pd.DataFrame | None:
    """Columns of the latest analysis run (``tatt``, ``traj_*``, indexed by pid), when that app provides them."""
    try:
        from analysis.selectors import wave_derived_columns
    except ImportError:
        return None
    try:
        extra = wave_derived_columns(wave)
    except Exception:  # an analysis problem never blocks an export  # noqa: BLE001
        return None
    return extra if extra is not None and len(extra.columns) else None


# --------------------------------------------------------------------------- de-identification


def pid_hasher(salt: bytes) -> Callable[[pd.Series], pd.Series]:
    """HMAC-SHA256(salt, pid), hex, truncated: stable within one export, unlinkable across exports."""

    def hash_series(pids: pd.Series) -> pd.Series:
        values = [
            None if pid is None or pid is pd.NA or (isinstance(pid, float) and np.isnan(pid))
            else hmac.new(salt, str(pid).encode(), hashlib.sha256).hexdigest()[:PID_HASH_LENGTH]
            for pid in pids
        ]
        return pd.Series(values, index=pids.index, dtype="object")

    return hash_series


# --------------------------------------------------------------------------- the flow over chunks


class FlowCounter:
    """Sums per-chunk cleaning results: every rule is per row, so counts add up."""

    def __init__(self, rules: dict[str, bool]):
        self.rules = rules
        self.raw = 0
        self.dropped = {name: 0 for name, _ in CLEANING_RULES}
        self.remaining = {name: 0 for name, _ in CLEANING_RULES}

    def add(self, result: CleaningResult) -> None:
        self.raw += result.raw
        for step in result.flow:
            self.dropped[step["rule"]] += step["dropped"]
            self.remaining[step["rule"]] += step["remaining"]

    @property
    def analytic(self) -> int:
        return self.remaining[CLEANING_RULES[-1][0]] if self.raw else 0

    def rows(self) -> list[dict]:
        """``raw``, one row per rule in order, and ``analytic``: rule, flag, enabled, dropped, remaining."""
        rows = [{"rule": "raw", "flag": "", "enabled": None, "dropped": 0, "remaining": self.raw}]
        for name, flag in CLEANING_RULES:
            rows.append(
                {
                    "rule": name,
                    "flag": flag,
                    "enabled": self.rules[name],
                    "dropped": self.dropped[name],
                    "remaining": self.remaining[name] if self.raw else 0,
                }
            )
        rows.append({"rule": "analytic", "flag": "", "enabled": None, "dropped": 0, "remaining": self.analytic})
        return rows


def wave_flow(*, wave: Wave, rules: dict | None = None) -> list[dict]:
    """The flow of counts of a wave (see :meth:`FlowCounter.rows`), reading only the flags (one query)."""
    counter = FlowCounter(rule_settings(rules))
    counter.add(clean(wave_flags_frame(wave, [flag for _, flag in CLEANING_RULES]), rules=rules))
    return counter.rows()


# --------------------------------------------------------------------------- layouts


def _residence_long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent and year of life 1..12: res_child, res_father, res_mother and mig."""
    n, years = len(frame), len(RESIDENCE_YEARS)
    data = {
        "pid": np.repeat(frame["pid"].to_numpy(dtype=object), years),
        "wave": np.repeat(frame["wave"].to_numpy(dtype=object), years),
        "year": pd.array(np.tile(np.array(list(RESIDENCE_YEARS)), n), dtype="Int64"),
    }
    for person in RESIDENCE_PERSONS:
        block = frame[[Instrument.residence_code(person, year) for year in RESIDENCE_YEARS]]
        data[f"res_{person}"] = pd.array(block.to_numpy(dtype="float64", na_value=np.nan).reshape(-1), dtype="Float64").astype("Int64")
    mig = frame[[f"mig_{year:02d}" for year in RESIDENCE_YEARS]]
    data["mig"] = pd.array(mig.to_numpy(dtype="float64", na_value=np.nan).reshape(-1), dtype="Float64").astype("Int64")
    return pd.DataFrame(data)


def _sequences(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["pid", *[f"mig_{year:02d}" for year in RESIDENCE_YEARS]]].reset_index(drop=True)


def layout_columns(layout: str, instrument: Instrument) -> list[str]:
    if layout == "long":
        return ["pid", "wave", "year", *[f"res_{person}" for person in RESIDENCE_PERSONS], "mig"]
    if layout == "sequences":
        return ["pid", *[f"mig_{year:02d}" for year in RESIDENCE_YEARS]]
    return list(instrument.codes)


def lay_out(typed: pd.DataFrame, layout: str) -> pd.DataFrame:
    if layout == "long":
        return _residence_long(typed)
    if layout == "sequences":
        return _sequences(typed)
    return typed.reset_index(drop=True)


def column_variable(code: str, instrument: Instrument):
    """The dictionary variable that describes a column (a long column borrows year 1's)."""
    if code in instrument:
        return instrument[code]
    if code.startswith("res_") and f"{code}_01" in instrument:
        return instrument[f"{code}_01"]
    if code == "mig":
        return instrument["mig_01"]
    return None


def column_label(code: str, instrument: Instrument) -> str:
    if code == "year":
        return "year of life (1 = from birth to the first birthday)"
    variable = column_variable(code, instrument)
    if variable is None:
        return ""
    if code in ("res_child", "res_father", "res_mother"):
        return variable.description.split(" in the child's year of life")[0] + " in that year of life"
    if code == "mig":
        return "family migration status in that year of life; empty when undefined"
    return variable.description


def value_labels(code: str, instrument: Instrument, lang: str) -> dict:
    variable = column_variable(code, instrument)
    if variable is None or not variable.options:
        return {}
    return {option.code: option.text(lang) for option in variable.options if isinstance(option.code, int)}


# --------------------------------------------------------------------------- writers


class _CsvWriter:
    def __init__(self, path: Path, columns: list[str], **_):
        self.handle = open(path, "w", encoding="utf-8-sig", newline="")
        self.columns = columns
        self.header = True

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self.handle, index=False, header=self.header, na_rep="", columns=self.columns, lineterminator="\n")
        self.header = False

    def close(self) -> None:
        self.handle.close()


class _XlsxWriter:
    """openpyxl in write-only mode: rows go to the file as they come; labels on a second sheet."""

    def __init__(self, path: Path, columns: list[str], *, instrument: Instrument, lang: str, flow: Callable[[], list[dict]]):
        from openpyxl import Workbook

        self.path, self.columns, self.instrument, self.lang, self.flow = path, columns, instrument, lang, flow
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("data")
        self.sheet.append(columns)

    MAX_ROWS = 1_048_575  # Excel's limit, less the header

    def write(self, frame: pd.DataFrame) -> None:
        self.rows = getattr(self, "rows", 0) + len(frame)
        if self.rows > self.MAX_ROWS:
            raise ExportOptionsError("more rows than an Excel sheet holds: choose CSV, Stata or SPSS")
        plain = frame[self.columns].astype(object)
        plain = plain.where(plain.notna(), None)
        for row in plain.itertuples(index=False, name=None):
            self.sheet.append(row)

    def close(self) -> None:
        labels = self.book.create_sheet("variables")
        labels.append(["code", "label", "values"])
        for code in self.columns:
            values = "; ".join(f"{key}={text}" for key, text in value_labels(code, self.instrument, self.lang).items())
            labels.append([code, column_label(code, self.instrument), values])
        flow = self.book.create_sheet("flow")
        flow.append(["rule", "flag", "enabled", "dropped", "remaining"])
        for row in self.flow():
            flow.append([row["rule"], row["flag"], "" if row["enabled"] is None else int(row["enabled"]), row["dropped"], row["remaining"]])
        self.book.save(self.path)


class _StatWriter:
    """Stata .dta / SPSS .sav by pyreadstat, which writes one frame: chunks kept compact, joined once."""

    def __init__(self, path: Path, columns: list[str], *, instrument: Instrument, lang: str, format: str, **_):
        self.path, self.columns, self.instrument, self.lang, self.format = path, columns, instrument, lang, format
        self.chunks: list[pd.DataFrame] = []

    def write(self, frame: pd.DataFrame) -> None:
        compact = {}
        for code in self.columns:
            column = frame[code]
            if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.dtype.kind in "iuf":
                compact[code] = column.to_numpy(dtype="float64", na_value=np.nan)
            elif column.dtype.kind in "iuf":
                compact[code] = column.to_numpy(dtype="float64")
            else:
                compact[code] = column.astype(object).where(column.notna(), None).to_numpy()
        self.chunks.append(pd.DataFrame(compact, columns=self.columns))

    def close(self) -> None:
        import pyreadstat

        frame = pd.concat(self.chunks, ignore_index=True) if len(self.chunks) > 1 else self.chunks[0]
        self.chunks = []
        for code in frame.columns:  # pyreadstat types a column by its values: an all-empty string column stays a string
            if frame[code].dtype == object:
                frame[code] = frame[code].where(frame[code].notna(), "")
        limit = STATA_LABEL_MAX if self.format == "dta" else 255
        column_labels = {code: column_label(code, self.instrument)[:limit] for code in self.columns}
        labels = {code: labels for code in self.columns if (labels := value_labels(code, self.instrument, self.lang))}
        if self.format == "dta":
            pyreadstat.write_dta(frame, str(self.path), column_labels=column_labels, variable_value_labels=labels)
        else:
            pyreadstat.write_sav(frame, str(self.path), column_labels=column_labels, variable_value_labels=labels)


def _writer(options: ExportOptions, path: Path, columns: list[str], instrument: Instrument, flow):
    if options.format == "csv":
        return _CsvWriter(path, columns)
    if options.format == "xlsx":
        return _XlsxWriter(path, columns, instrument=instrument, lang=options.lang, flow=flow)
    return _StatWriter(path, columns, instrument=instrument, lang=options.lang, format=options.format)


# --------------------------------------------------------------------------- the export itself


@dataclass
class ExportResult:
    path: Path
    row_count: int
    flow: list[dict]
    fingerprint: str
    instrument_version: str
    instrument_fingerprint: str
    options: ExportOptions
    wave: str
    study: str
    created_at: str
    columns: list[str] = field(default_factory=list)
    instrument: Instrument | None = field(default=None, repr=False)


def export_frames(
    *, wave: Wave, options: ExportOptions, instrument: Instrument, counter: FlowCounter, chunk_size: int = CHUNK_SIZE,
    median=None, salt: bytes | None = None,
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Laid-out, typed, de-identified chunks, with the number of responses each covers (for progress)."""
    hasher = pid_hasher(salt) if options.hash_pid else None
    extra = wave_extra(wave)
    for chunk in wave_frame_chunks(wave, instrument, extra=extra, chunk_size=chunk_size, median=median):
        result = clean(chunk, rules=options.rules)
        counter.add(result)
        if options.cleaned:
            chunk = chunk[result.mask.to_numpy()]
        typed = typed_for_export(chunk, instrument)
        if hasher is not None:
            typed["pid"] = hasher(typed["pid"])
        yield lay_out(typed, options.layout), result.raw


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def export_write(
    *,
    wave: Wave,
    options: ExportOptions,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ExportResult:
    """Write the export's data file at ``path``; returns counts, flow and fingerprint (for the codebook).

    Queries: one for the wave's size and median duration, one streaming the
    rows (plus whatever the analysis app's ``wave_derived_columns`` runs).
    """
    instrument = instrument_for(wave.instrument)
    path = private_file(Path(path))
    total, median = wave_size_and_median(wave)
    counter = FlowCounter(options.rules)
    columns = layout_columns(options.layout, instrument)
    writer = _writer(options, path, columns, instrument, flow=counter.rows)
    salt = secrets.token_bytes(32) if options.hash_pid else None  # per export, never stored
    done = rows = 0
    try:
        for frame, covered in export_frames(
            wave=wave, options=options, instrument=instrument, counter=counter, chunk_size=chunk_size, median=median, salt=salt
        ):
            writer.write(frame)
            rows += len(frame)
            done += covered
            if progress is not None:
                progress(done, total)
    finally:
        writer.close()
    private_file(path)
    return ExportResult(
        path=path,
        row_count=rows,
        flow=counter.rows(),
        fingerprint=file_fingerprint(path),
        instrument_version=instrument.version,
        instrument_fingerprint=instrument.fingerprint,
        options=options,
        wave=wave.code,
        study=wave.study.code,
        created_at=timezone.now().isoformat(timespec="seconds"),
        columns=columns,
        instrument=instrument,
    )


# --------------------------------------------------------------------------- codebook and bundle


CODEBOOK_COLUMNS = ("code", "label", "type", "options", "reverse", "scale")


def codebook_rows(result: ExportResult) -> list[dict]:
    instrument = result.instrument
    rows = []
    for code in result.columns:
        variable = column_variable(code, instrument)
        labels = value_labels(code, instrument, result.options.lang)
        if variable is not None and variable.options and not labels:
            labels = {option.code: option.text(result.options.lang) for option in variable.options}
        rows.append(
            {
                "code": code,
                "label": column_label(code, instrument),
                "type": "int" if code == "year" else (variable.type if variable else "string"),
                "options": "|".join(f"{key}={text}" for key, text in labels.items()),
                "reverse": "yes" if variable is not None and variable.reverse else "",
                "scale": variable.scale if variable is not None else "",
            }
        )
    if result.options.hash_pid:
        rows[0]["label"] = "HMAC-SHA256 of pid with a salt used for this export only (not linkable to pid)"
    return rows


def codebook_meta(result: ExportResult) -> list[tuple[str, str]]:
    options = result.options
    disabled = [rule for rule, enabled in options.rules.items() if not enabled]
    return [
        ("study", result.study),
        ("wave", result.wave),
        ("rows", str(result.row_count)),
        ("cleaned", "yes" if options.cleaned else "no"),
        ("rules switched off", ", ".join(disabled) or "none"),
        ("layout", options.layout),
        ("format", options.format),
        ("pid", "salted hash" if options.hash_pid else "pid"),
        ("instrument version", result.instrument_version),
        ("instrument fingerprint", result.instrument_fingerprint),
        ("export fingerprint (SHA-256 of the data file)", result.fingerprint),
        ("created at", result.created_at),
    ]


def codebook_csv(result: ExportResult) -> str:
    """One table: ``section`` = meta | flow | variable, so that one CSV carries all three."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", *CODEBOOK_COLUMNS, "enabled", "dropped", "remaining"])
    for key, value in codebook_meta(result):
        writer.writerow(["meta", key, value, "", "", "", "", "", "", ""])
    for row in result.flow:
        enabled = "" if row["enabled"] is None else int(row["enabled"])
        writer.writerow(["flow", row["rule"], row["flag"], "", "", "", "", enabled, row["dropped"], row["remaining"]])
    for row in codebook_rows(result):
        writer.writerow(["variable", *(row[column] for column in CODEBOOK_COLUMNS), "", "", ""])
    return buffer.getvalue()


def codebook_html(result: ExportResult) -> str:
    from django.template.loader import render_to_string

    return render_to_string(
        "exports/codebook.html",
        {"meta": codebook_meta(result), "flow": result.flow, "variables": codebook_rows(result), "result": result},
    )


def flow_csv(flow: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["rule", "flag", "enabled", "dropped", "remaining"], lineterminator="\n")
    writer.writeheader()
    for row in flow:
        writer.writerow({**row, "enabled": "" if row["enabled"] is None else int(row["enabled"])})
    return buffer.getvalue()


def export_basename(wave: Wave, options: ExportOptions) -> str:
    parts = [wave.study.code, wave.code, "cleaned" if options.cleaned else "raw", options.layout]
    return "_".join(str(part).replace("/", "-").replace(" ", "-") for part in parts)


def private_file(path: Path) -> Path:
    """Export files are readable by their owner only (0600), created so and kept so whatever the umask."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return path


def write_codebooks(result: ExportResult, directory: Path, stem: str) -> list[Path]:
    html, csv_path = Path(directory) / f"{stem}_codebook.html", Path(directory) / f"{stem}_codebook.csv"
    private_file(html).write_text(codebook_html(result), encoding="utf-8")
    private_file(csv_path).write_text(codebook_csv(result), encoding="utf-8-sig")
    return [html, csv_path]


def bundle_write(result: ExportResult, zip_path: Path, stem: str) -> Path:
    """A zip with the data file, the codebook (HTML, CSV) and the flow (CSV)."""
    with zipfile.ZipFile(private_file(zip_path), "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(result.path, f"{stem}.{result.options.extension}")
        bundle.writestr(f"{stem}_codebook.html", codebook_html(result))
        bundle.writestr(f"{stem}_codebook.csv", "\ufeff" + codebook_csv(result))
        bundle.writestr(f"{stem}_flow.csv", "\ufeff" + flow_csv(result.flow))
    return zip_path
