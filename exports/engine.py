"""Exports of a wave or of a study's panel: raw or cleaned, CSV, Excel, Stata and SPSS.

Wide: one row per submitted response, columns in dictionary order, option
codes as values, ``pid`` as the only identifier (or its salted hash). Long:
the residence history, one row per respondent and year of life. Sequences:
``pid`` and ``mig_01``..``mig_12``, the wide layout that TraMineR's ``seqdef``
reads. Panels of a study: ``long`` stacks the waves' wide rows (one row per
``pid`` and wave, with ``wave_no``), ``wide`` puts them side by side (one row
per ``pid``, columns suffixed ``_w1``, ``_w2``... in the order of the wave
codes); each wave is cleaned by its own flow.

Missing values. An item that the questionnaire's branching did not ask
(the dictionary's ``asked_when``) is *not asked*; an item asked and left
empty is *not answered*. CSV and Excel leave both empty (the codebook and
``datapackage.json`` say so); Stata files carry the extended missing codes
``.a`` (not asked) and ``.b`` (not answered); SPSS files carry the values -8
(not asked) and -9 (not answered), declared user-missing. Any other missing
value (a score that cannot be computed, a column of the analysis run) is
plain missing (``.``, sysmis, empty).

Rows are streamed: a wave is read in chunks (``frames.wave_frame_chunks``,
two queries whatever the number of rows), each chunk is cleaned (the flags
are per row, so the flow of counts is the sum of the chunks' flows), laid out
and written. CSV and Excel are written chunk by chunk; Stata and SPSS files
are written by pyreadstat from one frame, so for those the chunks are typed
compact (``typed_for_export(compact=True)``: numbers as float64, date-times
as read), kept in float64/object columns and joined once at the end (see
``benchmarks/bench_export.py``, which measures every format beside the naive
path). A wide panel is a pivot of the waves, so it
is held in memory once, whatever the format.

The documents that go with the data (codebook, ``datapackage.json``, loader
scripts for R and Stata) are in ``exports/documents.py``; they read the
:class:`ColumnSpec` list of the export, the one description of its columns.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from analysis.selectors import wave_derived_columns
from scoring.alphabet import mig_column, mig_columns
from scoring.cleaning import CLEANING_RULES, FLOW_COLUMNS, CleaningResult, clean, rule_settings
from scoring.instrument import AGE, LANGUAGES, RESIDENCE_PERSONS, RESIDENCE_YEARS, Instrument, Variable
from studies.instruments import instrument_for
from studies.models import Study, Wave
from surveys.frames import CHUNK_SIZE, typed_for_export, wave_flags_frame, wave_frame, wave_frame_chunks, wave_size_and_median

FORMATS = ("csv", "xlsx", "dta", "sav", "zsav")
STAT_FORMATS = ("dta", "sav", "zsav")  # written by pyreadstat from one frame
LAYOUTS = ("wide", "long", "sequences")
PANELS = ("", "long", "wide")
STATA_VERSIONS = (118, 119)  # 118: Stata 14 and later (haven's default); 119: Stata 15+ (more than 32,767 variables)
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "dta": "dta", "sav": "sav", "zsav": "zsav"}
PID_HASH_LENGTH = 16
LABEL_MAX = 80  # characters of a variable label in Stata (and here in SPSS too); the full wording is in the codebook
FILE_LABEL_MAX = 80

NOT_ASKED, NOT_ANSWERED = 1, 2  # reasons of a missing item value
STATA_MISSING = {NOT_ASKED: "a", NOT_ANSWERED: "b"}
SPSS_MISSING = {NOT_ASKED: -8, NOT_ANSWERED: -9}
MEASURES = {"choice": "nominal", "bool": "nominal", "string": "nominal", "likert5": "ordinal",
            "int": "scale", "float": "scale", "datetime": "scale"}
INTEGRAL_TYPES = ("choice", "likert5", "int", "bool")
INT32_MAX = 2_147_483_620  # the largest value of a Stata long


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
    lang: str = "zh-hans"  # language of variable and value labels in .dta/.sav/.xlsx, of the loaders; the codebook has both
    panel: str = ""  # "" (one wave), "long" or "wide" (every wave of a study)
    stata_version: int = 118  # release of a .dta: 118 (Stata 14+) or 119 (Stata 15+)

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ExportOptionsError(f"unknown format {self.format!r} (known: {', '.join(FORMATS)})")
        if self.layout not in LAYOUTS:
            raise ExportOptionsError(f"unknown layout {self.layout!r} (known: {', '.join(LAYOUTS)})")
        if self.lang not in LANGUAGES:
            raise ExportOptionsError(f"unknown language {self.lang!r} (known: {', '.join(LANGUAGES)})")
        if self.panel not in PANELS:
            raise ExportOptionsError(f"unknown panel {self.panel!r} (known: long, wide)")
        if self.panel and self.layout != "wide":
            raise ExportOptionsError("a panel stacks or joins the waves' wide rows: choose the wide layout")
        if self.stata_version not in STATA_VERSIONS:
            raise ExportOptionsError(f"unknown Stata release {self.stata_version!r} (known: 118, 119)")
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
    """Columns of the latest analysis run (``tatt``, ``traj_*``, indexed by pid), when the wave has one."""
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


# --------------------------------------------------------------------------- missing values: not asked, not answered


def missing_reasons(frame: pd.DataFrame, instrument: Instrument) -> dict[str, np.ndarray]:
    """For every item column: 0 (a value, or a plain missing), ``NOT_ASKED`` or ``NOT_ANSWERED`` per row.

    An item is asked as :meth:`scoring.instrument.Variable.is_asked` says, from
    the dictionary's ``asked_when`` and the child's completed age (``age``),
    vectorised: a follow-up of an unanswered question is not asked; an item
    that depends on the age is asked while the age is unknown. An answer kept
    for a year of life no longer asked (a birth date corrected downwards keeps
    it, hidden) is reported not asked: :func:`hide_not_asked` blanks it.
    """
    n = len(frame)
    age = pd.to_numeric(frame["age"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) if AGE in frame else None
    reasons = {}
    for variable in instrument.items:
        if variable.code not in frame:
            continue
        missing = frame[variable.code].isna().to_numpy()
        condition = variable.asked_when
        if condition is None:
            asked = np.ones(n, dtype=bool)
        elif condition.subject == AGE:
            subject = age if age is not None else np.full(n, np.nan)
            with np.errstate(invalid="ignore"):
                asked = np.isnan(subject) | condition.holds(subject)
        else:
            subject = pd.to_numeric(frame[condition.subject], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                asked = ~np.isnan(subject) & condition.holds(subject)
        if condition is not None and condition.subject == AGE:
            reasons[variable.code] = np.where(~asked, NOT_ASKED, np.where(missing, NOT_ANSWERED, 0)).astype(np.int8)
        else:
            reasons[variable.code] = np.where(missing, np.where(asked, NOT_ANSWERED, NOT_ASKED), 0).astype(np.int8)
    return reasons


def hide_not_asked(frame: pd.DataFrame, reasons: dict[str, np.ndarray]) -> pd.DataFrame:
    """Blank the answers kept for items no longer asked (residence years beyond the child's age): empty, as the spec says."""
    hidden = {code: reason == NOT_ASKED for code, reason in reasons.items() if code in frame}
    stale = [code for code, mask in hidden.items() if mask.any() and frame[code].notna().to_numpy()[mask].any()]
    if not stale:
        return frame
    frame = frame.copy()
    for code in stale:
        frame[code] = frame[code].mask(hidden[code])
    return frame


def missing_labels(lang: str) -> dict[int, str]:
    with translation.override(lang):
        return {NOT_ASKED: gettext("not asked (skipped by the questionnaire's branching)"), NOT_ANSWERED: gettext("not answered")}


# --------------------------------------------------------------------------- the columns of an export


def short_label(text: str, limit: int = LABEL_MAX) -> str:
    """``text`` in at most ``limit`` characters: cut at the last word boundary (on a character for Chinese), with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2 and not _has_cjk(head[space:]):
        head = head[:space]
    return head.rstrip(" ,;:-–(（，；：") + "…"


def _has_cjk(text: str) -> bool:
    return any("\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\uffef" for char in text)


def _bilingual(texts: dict[str, str]) -> dict[str, str]:
    return {lang: texts.get(lang) or texts.get("en", "") for lang in LANGUAGES}


def _flag_labels(lang: str) -> dict[int, str]:
    with translation.override(lang):
        return {0: gettext("no"), 1: gettext("yes")}


def option_labels(variable: Variable | None, lang: str) -> dict[int, str]:
    """Value labels of a coded variable in ``lang``: the dictionary's options, no/yes for flags."""
    if variable is None:
        return {}
    if variable.type == "bool":
        return _flag_labels(lang)
    return {option.code: option.text(lang) for option in variable.options if isinstance(option.code, int)}


@dataclass
class ColumnSpec:
    """One column of an export: what the data file, the codebook, the datapackage and the loaders say of it."""

    name: str  # the column's name in the file
    code: str  # the dictionary code it comes from ("" for year and wave_no)
    type: str  # the dictionary type (string, datetime, int, choice, likert5, float, bool)
    label: dict  # lang -> full label (the question's wording for items)
    values: dict = field(default_factory=dict)  # lang -> {code: text}
    variable: Variable | None = field(default=None, repr=False)
    wave: str = ""  # the wave of a column of a wide panel
    item: bool = False  # an item: not asked / not answered are told apart

    @property
    def measure(self) -> str:
        return MEASURES.get(self.type, "nominal")

    @property
    def integral(self) -> bool:
        return self.type in INTEGRAL_TYPES

    def short_label(self, lang: str) -> str:
        prefix = f"[{self.wave}] " if self.wave else ""
        return short_label(prefix + self.label[lang])

    def asked_when(self) -> str:
        return str(self.variable.asked_when) if self.variable is not None and self.variable.asked_when else ""


_YEAR_LABEL = {"zh-hans": "出生后第几年（1 = 出生到1岁之间）", "en": "year of life (1 = from birth to the first birthday)"}
_WAVE_NO_LABEL = {"zh-hans": "第几轮调查（按轮次代码排序，从1起）", "en": "wave number (1, 2, ... in the order of the wave codes)"}
_MIG_LABEL = {"zh-hans": "那一年的家庭迁移状态（无法确定时为空）", "en": "family migration status in that year of life; empty when undefined"}


def _residence_long_label(instrument: Instrument, person: str) -> dict[str, str]:
    variable = instrument[Instrument.residence_code(person, 1)]
    texts = {lang: variable.text(lang) for lang in LANGUAGES}
    texts["zh-hans"] = re.sub(r"第1年（[^）]*）", "那一年", texts["zh-hans"])
    texts["en"] = variable.description.split(" in the child's year of life")[0] + " in that year of life"
    return texts


def base_specs(layout: str, instrument: Instrument) -> list[ColumnSpec]:
    """The columns of one wave's export in ``layout``, described from the wave's instrument."""
    if layout == "long":
        mig = instrument[mig_column(1)]
        specs = [_variable_spec("pid", instrument["pid"]), _variable_spec("wave", instrument["wave"]),
                 ColumnSpec("year", "", "int", dict(_YEAR_LABEL))]
        for person in RESIDENCE_PERSONS:
            variable = instrument[Instrument.residence_code(person, 1)]
            spec = _variable_spec(f"res_{person}", variable)
            spec.code, spec.label = f"res_{person}", _residence_long_label(instrument, person)
            specs.append(spec)
        specs.append(ColumnSpec("mig", "mig", "choice", dict(_MIG_LABEL), _values(mig), mig))
        return specs
    codes = ["pid", *mig_columns()] if layout == "sequences" else instrument.codes
    return [_variable_spec(code, instrument[code]) for code in codes]


def _values(variable: Variable | None) -> dict:
    return {lang: option_labels(variable, lang) for lang in LANGUAGES}


def _variable_spec(name: str, variable: Variable) -> ColumnSpec:
    return ColumnSpec(
        name, variable.code, variable.type, _bilingual({lang: variable.text(lang) for lang in LANGUAGES}), _values(variable),
        variable, item=variable.is_item,
    )


def panel_specs(panel: str, waves: list[tuple[str, Instrument]]) -> list[ColumnSpec]:
    """The columns of a panel: long adds ``wave_no`` after ``pid``; wide suffixes every column but pid with ``_wN``."""
    if panel == "long":
        specs = base_specs("wide", waves[-1][1])
        return [specs[0], ColumnSpec("wave_no", "", "int", dict(_WAVE_NO_LABEL)), *specs[1:]]
    specs = [base_specs("wide", waves[-1][1])[0]]
    for number, (code, instrument) in enumerate(waves, start=1):
        for spec in base_specs("wide", instrument)[1:]:
            spec.name, spec.wave = f"{spec.name}_w{number}", code
            specs.append(spec)
    return specs


# --------------------------------------------------------------------------- layouts


def _residence_long(frame: pd.DataFrame, reasons: dict) -> tuple[pd.DataFrame, dict]:
    """One row per respondent and year of life 1..12: res_child, res_father, res_mother and mig."""
    n, years = len(frame), len(RESIDENCE_YEARS)
    data = {
        "pid": np.repeat(frame["pid"].to_numpy(dtype=object), years),
        "wave": np.repeat(frame["wave"].to_numpy(dtype=object), years),
        "year": pd.array(np.tile(np.array(list(RESIDENCE_YEARS)), n), dtype="Int64"),
    }
    long_reasons = {}
    for person in RESIDENCE_PERSONS:
        codes = [Instrument.residence_code(person, year) for year in RESIDENCE_YEARS]
        block = frame[codes]
        data[f"res_{person}"] = pd.array(block.to_numpy(dtype="float64", na_value=np.nan).reshape(-1), dtype="Float64").astype("Int64")
        if all(code in reasons for code in codes):
            long_reasons[f"res_{person}"] = np.column_stack([reasons[code] for code in codes]).reshape(-1)
    mig = frame[mig_columns()]
    data["mig"] = pd.array(mig.to_numpy(dtype="float64", na_value=np.nan).reshape(-1), dtype="Float64").astype("Int64")
    return pd.DataFrame(data), long_reasons


def lay_out(typed: pd.DataFrame, layout: str, reasons: dict) -> tuple[pd.DataFrame, dict]:
    """The chunk in ``layout``, with the missing reasons of its item columns."""
    if layout == "long":
        return _residence_long(typed, reasons)
    if layout == "sequences":
        return typed[["pid", *mig_columns()]].reset_index(drop=True), {}
    return typed.reset_index(drop=True), reasons
# --------------------------------------------------------------------------- writers


def local_naive_times(column: pd.Series) -> np.ndarray:
    """Date-times as local wall-clock times without a zone (what Stata's %tc and SPSS's DATETIME hold)."""
    parsed = pd.to_datetime(column, utc=True, format="ISO8601")
    return parsed.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


class _CsvWriter:
    def __init__(self, path: Path, specs: list[ColumnSpec], options: ExportOptions):
        self.handle = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115  (open across write() calls; close() closes it)
        self.columns = [spec.name for spec in specs]
        self.header = True

    def write(self, frame: pd.DataFrame, reasons: dict) -> None:
        frame.to_csv(self.handle, index=False, header=self.header, na_rep="", columns=self.columns, lineterminator="\n")
        self.header = False

    def close(self, result: ExportResult | None) -> None:
        self.handle.close()


class _XlsxWriter:
    """openpyxl in write-only mode: rows go to the file as they come; labels and flow on further sheets."""

    MAX_ROWS = 1_048_575  # Excel's limit, less the header

    def __init__(self, path: Path, specs: list[ColumnSpec], options: ExportOptions):
        from openpyxl import Workbook

        self.path, self.specs, self.lang = path, specs, options.lang
        self.columns = [spec.name for spec in specs]
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("data")
        self.sheet.append(self.columns)
        self.rows = 0

    def write(self, frame: pd.DataFrame, reasons: dict) -> None:
        self.rows += len(frame)
        if self.rows > self.MAX_ROWS:
            raise ExportOptionsError("more rows than an Excel sheet holds: choose CSV, Stata or SPSS")
        plain = frame[self.columns].astype(object)
        plain = plain.where(plain.notna(), None)
        for row in plain.itertuples(index=False, name=None):
            self.sheet.append(row)

    def close(self, result: ExportResult | None) -> None:
        if result is None:
            return
        labels = self.book.create_sheet("variables")
        labels.append(["code", "label", "values"])
        for spec in self.specs:
            values = "; ".join(f"{key}={text}" for key, text in spec.values.get(self.lang, {}).items())
            labels.append([spec.name, spec.label[self.lang], values])
        flow = self.book.create_sheet("flow")
        flow.append(["wave", *FLOW_COLUMNS])
        for row in result.flow:
            enabled = "" if row["enabled"] is None else int(row["enabled"])
            flow.append([row.get("wave", result.wave), row["rule"], row["flag"], enabled, row["dropped"], row["remaining"]])
        self.book.save(self.path)


class _StatWriter:
    """Stata .dta / SPSS .sav and .zsav by pyreadstat, which writes one frame: chunks kept compact, joined once.

    Integral columns are written as integers (Stata ``long``, SPSS ``F8.0``),
    date-times as Stata ``%tc`` / SPSS ``DATETIME`` (local time), items with
    the extended missing codes (``.a``/``.b``, or -8/-9 declared user-missing).
    """

    def __init__(self, path: Path, specs: list[ColumnSpec], options: ExportOptions):
        self.path, self.specs, self.options = path, specs, options
        self.parts: dict[str, list[np.ndarray]] = {}  # per column, its chunks' arrays: joined one column at a time
        self.reasons: dict[str, list[np.ndarray]] = {}

    def write(self, frame: pd.DataFrame, reasons: dict) -> None:
        compact = {}
        for spec in self.specs:
            column = frame[spec.name]
            if spec.type == "datetime":
                compact[spec.name] = local_naive_times(column)
            elif isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.dtype.kind in "iuf":
                compact[spec.name] = column.to_numpy(dtype="float64", na_value=np.nan)
            elif column.dtype.kind in "iuf":
                compact[spec.name] = column.to_numpy(dtype="float64", copy=True)  # not a view that keeps the chunk alive
            else:
                compact[spec.name] = column.astype(object).where(column.notna(), None).to_numpy()
            if spec.item and spec.name in reasons:
                self.reasons.setdefault(spec.name, []).append(reasons[spec.name])
            elif spec.item:
                self.reasons.setdefault(spec.name, []).append(np.zeros(len(frame), dtype=np.int8))
        for name, values in compact.items():
            self.parts.setdefault(name, []).append(values)

    def _joined(self, name: str) -> pd.Series:
        """One column of every chunk, its parts let go as it is joined (the whole data never held twice)."""
        parts = self.parts.pop(name)
        return pd.Series(parts[0] if len(parts) == 1 else np.concatenate(parts), name=name)

    def _columns(self) -> tuple[dict, dict, dict, dict, dict]:
        """The columns to write, their value labels, Stata missing codes, SPSS missing values and Stata tags to set."""
        stata = self.options.format == "dta"
        lang = self.options.lang
        out, value_labels, stata_missing, spss_missing, stata_tags = {}, {}, {}, {}, {}
        missing_text = missing_labels(lang)
        for spec in self.specs:
            column = self._joined(spec.name)
            labels = dict(spec.values.get(lang, {}))
            if column.dtype.kind != "f":
                if column.dtype == object:  # pyreadstat types a column by its values: an empty string column stays a string
                    column = column.where(column.notna(), "")
                out[spec.name] = column
                if labels and column.dtype != object:
                    value_labels[spec.name] = labels
                continue
            values = column.to_numpy()
            missing = np.isnan(values)
            present = values[~missing]
            integral = (spec.integral or bool(np.all(np.mod(present, 1) == 0))) and bool(np.all(np.abs(present) <= INT32_MAX))
            reasons = np.concatenate(self.reasons[spec.name]) if spec.name in self.reasons else None
            coded = reasons is not None  # every item declares the codes, whether or not a row uses them
            if stata:
                # Missing cells are written as 0 and set to ., .a or .b in the file afterwards (tag_stata_missing):
                # pyreadstat would test every cell of a column with missing values, and reads the type of an
                # object column of numbers and letters from its first rows.
                if missing.any():
                    codes = np.where(missing, SYSTEM_MISSING, 0).astype(np.int8)
                    stata_tags[spec.name] = np.where(missing & (reasons > 0), reasons, codes) if coded else codes
                filled = np.where(missing, 0, values)
                out[spec.name] = filled.astype(np.int32) if integral else filled
                if coded:
                    stata_missing[spec.name] = list(STATA_MISSING.values())
                    labels.update({STATA_MISSING[reason]: text for reason, text in missing_text.items()})
            else:
                if coded:
                    values = values.copy()
                    for reason, code in SPSS_MISSING.items():
                        values[reasons == reason] = code
                    spss_missing[spec.name] = sorted(SPSS_MISSING.values())
                    labels.update({SPSS_MISSING[reason]: text for reason, text in missing_text.items()})
                out[spec.name] = pd.array(values, dtype="Float64").astype("Int32") if integral else values  # SPSS F8.0
            if labels:
                value_labels[spec.name] = {(int(key) if isinstance(key, (int, np.integer)) else key): text for key, text in labels.items()}
        return out, value_labels, stata_missing, spss_missing, stata_tags

    def close(self, result: ExportResult | None) -> None:
        import pyreadstat

        if result is None:  # the export failed: nothing to write
            self.parts = {}
            return
        columns, value_labels, stata_missing, spss_missing, stata_tags = self._columns()
        frame = pd.DataFrame(columns)
        self.reasons = {}
        lang = self.options.lang
        column_labels = {spec.name: spec.short_label(lang) for spec in self.specs}
        file_label = result.file_label()
        if self.options.format == "dta":
            pyreadstat.write_dta(
                frame, str(self.path), file_label=file_label, column_labels=column_labels,
                version=14 if self.options.stata_version == 118 else 15, variable_value_labels=value_labels,
                missing_user_values=stata_missing,
            )
            tag_stata_missing(self.path, stata_tags)
            add_stata_notes(self.path, result.notes())
            return
        integral = {name: "F8.0" for name, column in columns.items() if str(getattr(column, "dtype", "")) == "Int32"}
        pyreadstat.write_sav(
            frame, str(self.path), file_label=file_label, column_labels=column_labels, compress=self.options.format == "zsav",
            note=[line for note in result.notes() for line in textwrap.wrap(note, 80)],  # SPSS documents: lines of 80
            variable_value_labels=value_labels, missing_ranges=spss_missing,
            variable_measure={spec.name: spec.measure for spec in self.specs}, variable_format=integral,
        )


STATA_WIDTHS = {65526: 8, 65527: 4, 65528: 4, 65529: 2, 65530: 1, 32768: 8}  # double, float, long, int, byte, strL
SYSTEM_MISSING = 3  # a missing cell without a reason (".")
STATA_MISSING_VALUES = {  # storage type -> (numpy type, {reason: the value that Stata reads as ., .a, .b})
    65528: ("i4", {SYSTEM_MISSING: 2_147_483_621, NOT_ASKED: 2_147_483_622, NOT_ANSWERED: 2_147_483_623}),
    65526: ("u8", {SYSTEM_MISSING: 0x7FE0_0000_0000_0000, NOT_ASKED: 0x7FE0_0100_0000_0000, NOT_ANSWERED: 0x7FE0_0200_0000_0000}),
}


def tag_stata_missing(path: Path, tags: dict[str, np.ndarray]) -> None:
    """Set the missing values ``.``, ``.a``, ``.b`` in the ``long`` and ``double`` columns of a release 118/119 file.

    ``tags`` holds per column a code per row (0 a value, ``SYSTEM_MISSING``,
    ``NOT_ASKED``, ``NOT_ANSWERED``). The cells are set in the ``<data>``
    section found through the file's ``<map>``, at once per column (numpy over
    the file's rows): pyreadstat writes a missing cell only after a test of
    every cell of the column, and the extended codes only from object columns.
    """
    if not tags:
        return
    data = bytearray(Path(path).read_bytes())
    release = int(data[data.find(b"<release>") + 9: data.find(b"</release>")])
    order = "<" if b"<byteorder>LSF</byteorder>" in data[:200] else ">"
    endian = "little" if order == "<" else "big"
    k_at, n_at = data.find(b"<K>") + 3, data.find(b"<N>") + 3
    k = int.from_bytes(data[k_at: k_at + (2 if release == 118 else 4)], endian)
    n = int.from_bytes(data[n_at: n_at + 8], endian)
    map_at = data.find(b"<map>") + 5
    offsets = np.frombuffer(bytes(data[map_at: map_at + 8 * 14]), dtype=f"{order}u8")
    types_at, names_at, data_at = int(offsets[2]) + len("<variable_types>"), int(offsets[3]) + len("<varnames>"), int(offsets[9]) + len("<data>")
    types = np.frombuffer(bytes(data[types_at: types_at + 2 * k]), dtype=f"{order}u2")
    names = [bytes(data[names_at + 129 * i: names_at + 129 * (i + 1)]).split(b"\0")[0].decode() for i in range(k)]
    widths = [STATA_WIDTHS.get(int(code), int(code)) for code in types]
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(int)
    rows = np.ndarray((n, int(sum(widths))), dtype=np.uint8, buffer=data, offset=data_at)
    for name, codes in tags.items():
        column = names.index(name)
        kind, values = STATA_MISSING_VALUES[int(types[column])]
        cells = rows[:, starts[column]: starts[column] + widths[column]].view(f"{order}{kind}")[:, 0]
        for code, value in values.items():
            cells[codes == code] = value
    Path(path).write_bytes(data)


def add_stata_notes(path: Path, notes: list[str]) -> None:
    """Write ``notes`` as the dataset's notes (``notes list _dta`` in Stata): characteristics ``_dta[note1..n]``.

    pyreadstat writes an empty ``<characteristics>`` section; this inserts the
    entries of a release 118/119 file (``<ch>``, a 4-byte length, the variable
    and characteristic names in 129 bytes each, the text with a terminating
    NUL) and moves the offsets of the later sections in ``<map>`` accordingly.
    """
    data = Path(path).read_bytes()
    marker = b"<characteristics></characteristics>"
    at = data.find(marker)
    if at < 0 or not notes:
        return
    byteorder = "little" if b"<byteorder>LSF</byteorder>" in data[:200] else "big"
    entries = [("note0", str(len(notes)))] + [(f"note{i}", text) for i, text in enumerate(notes, start=1)]
    body = b""
    for name, text in entries:
        payload = b"_dta".ljust(129, b"\0") + name.encode().ljust(129, b"\0") + text.encode("utf-8") + b"\0"
        body += b"<ch>" + len(payload).to_bytes(4, byteorder) + payload + b"</ch>"
    new = b"<characteristics>" + body + b"</characteristics>"
    shift = len(new) - len(marker)
    start = data.find(b"<map>") + len(b"<map>")
    offsets = [int.from_bytes(data[start + 8 * i: start + 8 * i + 8], byteorder) for i in range(14)]
    moved = b"".join((offset + shift if offset > at else offset).to_bytes(8, byteorder) for offset in offsets)
    data = data[:start] + moved + data[start + 8 * 14: at] + new + data[at + len(marker):]
    Path(path).write_bytes(data)


def _writer(options: ExportOptions, path: Path, specs: list[ColumnSpec]):
    if options.format == "csv":
        return _CsvWriter(path, specs, options)
    if options.format == "xlsx":
        return _XlsxWriter(path, specs, options)
    return _StatWriter(path, specs, options)
# --------------------------------------------------------------------------- the export itself


@dataclass
class WaveInfo:
    """One wave of an export: its code, instrument, rows and flow of counts."""

    code: str
    number: int
    instrument_version: str
    instrument_fingerprint: str
    rows: int = 0
    flow: list[dict] = field(default_factory=list)


@dataclass
class ExportResult:
    path: Path
    row_count: int
    flow: list[dict]  # one wave: its flow; a panel: every wave's, each row with its ``wave``
    fingerprint: str  # the first 16 hex digits of ``sha256``
    instrument_version: str
    instrument_fingerprint: str
    options: ExportOptions
    wave: str  # the wave's code; a panel: the codes joined by "+"
    study: str
    created_at: str
    columns: list[str] = field(default_factory=list)
    instrument: Instrument | None = field(default=None, repr=False)
    specs: list[ColumnSpec] = field(default_factory=list, repr=False)
    waves: list[WaveInfo] = field(default_factory=list)
    sha256: str = ""

    def file_label(self) -> str:
        kind = ("cleaned" if self.options.cleaned else "raw") + (f" {self.options.panel} panel" if self.options.panel else "")
        waves = self.wave if len(self.waves) < 3 else f"{self.waves[0].code}..{self.waves[-1].code}"
        return short_label(f"{self.study} {waves} {kind}; instrument {self.instrument_version}", FILE_LABEL_MAX)

    def notes(self) -> list[str]:
        """What a Stata or SPSS user sees with ``notes`` / ``DISPLAY DOCUMENTS``: study, waves, instrument, flow, missing codes."""
        options = self.options
        disabled = [rule for rule, enabled in options.rules.items() if not enabled]
        notes = [
            f"study: {self.study}; waves: {', '.join(f'{w.number}={w.code}' for w in self.waves)}",
            f"{'cleaned (analytic rows only)' if options.cleaned else 'raw (every submitted response)'}; "
            f"rules switched off: {', '.join(disabled) or 'none'}; layout: {options.layout}"
            + (f"; panel: {options.panel}" if options.panel else ""),
        ]
        for wave in self.waves:
            notes.append(f"wave {wave.code}: instrument version {wave.instrument_version}, fingerprint {wave.instrument_fingerprint}, {wave.rows} rows")
            steps = ", ".join(f"{row['rule']} -{row['dropped']}" for row in wave.flow if row["flag"])
            notes.append(f"flow of wave {wave.code}: raw {wave.flow[0]['remaining']}; {steps}; analytic {wave.flow[-1]['remaining']}")
        notes.append(
            "missing items: .a / -8 = not asked (the questionnaire's branching, asked_when in the codebook), "
            ".b / -9 = not answered; other missing values are plain missing"
        )
        notes.append(f"times are local wall-clock times ({settings.TIME_ZONE}); pid: {'salted hash, this export only' if options.hash_pid else 'pid'}")
        notes.append(f"created {self.created_at}; the data file's SHA-256 is in datapackage.json and the codebook")
        return notes


def export_frames(
    *, wave: Wave, options: ExportOptions, instrument: Instrument, counter: FlowCounter, chunk_size: int = CHUNK_SIZE,
    median=None, salt: bytes | None = None, hasher=None, traj_labels: dict | None = None,
) -> Iterator[tuple[pd.DataFrame, dict, int]]:
    """Laid-out, typed, de-identified chunks with their missing reasons and the number of responses each covers."""
    hasher = hasher or (pid_hasher(salt) if options.hash_pid else None)
    extra = wave_extra(wave)
    for chunk in wave_frame_chunks(wave, instrument, extra=extra, chunk_size=chunk_size, median=median):
        result = clean(chunk, rules=options.rules)
        counter.add(result)
        if options.cleaned:
            chunk = chunk[result.mask.to_numpy()]
        reasons = missing_reasons(chunk, instrument)
        chunk = hide_not_asked(chunk, reasons)
        typed = typed_for_export(chunk, instrument, compact=options.format in STAT_FORMATS)
        if traj_labels is not None:
            _collect_traj_labels(typed, traj_labels)
        if hasher is not None:
            typed["pid"] = hasher(typed["pid"])
        frame, reasons = lay_out(typed, options.layout, reasons)
        yield frame, reasons, result.raw


def _collect_traj_labels(frame: pd.DataFrame, labels: dict) -> None:
    if "traj_cluster" not in frame or "traj_label" not in frame:
        return
    pairs = frame[["traj_cluster", "traj_label"]].dropna().drop_duplicates()
    for cluster, label in pairs.itertuples(index=False, name=None):
        labels.setdefault(int(cluster), str(label))


def private_file(path: Path) -> Path:
    """Export files are readable by their owner only (0600), created so and kept so whatever the umask."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return path


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_fingerprint(path: Path) -> str:
    return file_digest(path)[:16]


def export_write(
    *,
    options: ExportOptions,
    path: Path,
    wave: Wave | None = None,
    study: Study | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ExportResult:
    """Write the export's data file at ``path``; returns counts, flows, columns and fingerprint (for the documents).

    One wave (``wave``), or with ``options.panel`` every wave of ``study``.
    Queries of a wave: one for its size and median duration, one streaming
    the rows (plus whatever the analysis app's ``wave_derived_columns`` runs);
    a panel adds one for the study's waves.
    """
    path = private_file(Path(path))
    if options.panel:
        if study is None:
            raise ExportOptionsError("a panel export needs a study")
        waves = list(Wave.objects.filter(study=study).select_related("study", "instrument").order_by("code"))
        if not waves:
            raise ExportOptionsError(f"study {study.code} has no wave")
    else:
        if wave is None:
            raise ExportOptionsError("an export of one wave needs a wave")
        waves, study = [wave], wave.study
    instruments = [instrument_for(item.instrument) for item in waves]
    if len({tuple(instrument.codes) for instrument in instruments}) > 1:
        raise ExportOptionsError("the waves' instruments have different variables: export them one by one")
    if options.panel:
        specs = panel_specs(options.panel, [(item.code, instrument) for item, instrument in zip(waves, instruments)])
    else:
        specs = base_specs(options.layout, instruments[0])
    sizes = [wave_size_and_median(item) for item in waves]
    total = sum(size for size, _ in sizes)
    salt = secrets.token_bytes(32) if options.hash_pid else None  # per export, never stored
    hasher = pid_hasher(salt) if salt else None
    traj_labels: dict[int, str] = {}
    infos, counters = [], []
    writer = _writer(options, path, specs)
    done = rows = 0
    wide_parts: list[tuple[pd.DataFrame, dict]] = []
    result = None
    try:
        for number, (item, instrument, (_, median)) in enumerate(zip(waves, instruments, sizes), start=1):
            counter = FlowCounter(options.rules)
            counters.append(counter)
            wave_rows, parts = 0, []
            for frame, reasons, covered in export_frames(
                wave=item, options=options, instrument=instrument, counter=counter, chunk_size=chunk_size, median=median,
                hasher=hasher, traj_labels=traj_labels,
            ):
                wave_rows += len(frame)
                if options.panel == "wide":
                    parts.append((frame, reasons))
                else:
                    if options.panel == "long":
                        frame.insert(1, "wave_no", pd.array(np.full(len(frame), number), dtype="Int64"))
                    writer.write(frame, reasons)
                    rows += len(frame)
                done += covered
                if progress is not None:
                    progress(done, total)
            if options.panel == "wide":
                wide_parts.append(_suffixed(parts, number))
            infos.append(WaveInfo(item.code, number, instrument.version, instrument.fingerprint, wave_rows, counter.rows()))
        if options.panel == "wide":
            frame, reasons = _join_waves(wide_parts, specs)
            for start in range(0, max(len(frame), 1), chunk_size):
                writer.write(frame.iloc[start: start + chunk_size], {k: v[start: start + chunk_size] for k, v in reasons.items()})
            rows = len(frame)
        _label_clusters(specs, traj_labels)
        result = ExportResult(
            path=path, row_count=rows, flow=_result_flow(infos, options), fingerprint="",
            instrument_version=instruments[-1].version, instrument_fingerprint=instruments[-1].fingerprint, options=options,
            wave="+".join(info.code for info in infos), study=study.code, created_at=timezone.now().isoformat(timespec="seconds"),
            columns=[spec.name for spec in specs], instrument=instruments[-1], specs=specs, waves=infos,
        )
    finally:
        writer.close(result)
    private_file(path)
    result.sha256 = file_digest(path)
    result.fingerprint = result.sha256[:16]
    return result


def _result_flow(infos: list[WaveInfo], options: ExportOptions) -> list[dict]:
    if not options.panel:
        return infos[0].flow
    return [{"wave": info.code, **row} for info in infos for row in info.flow]


def _label_clusters(specs: list[ColumnSpec], traj_labels: dict[int, str]) -> None:
    """``traj_cluster`` takes the names the analysis run gave its clusters (``traj_label``) as value labels."""
    for spec in specs:
        if spec.code == "traj_cluster" and traj_labels:
            spec.values = {lang: dict(sorted(traj_labels.items())) for lang in LANGUAGES}


def _suffixed(parts: list[tuple[pd.DataFrame, dict]], number: int) -> tuple[pd.DataFrame, dict]:
    """One wave's rows of a wide panel, indexed by pid, every other column suffixed with ``_wN``."""
    frame = pd.concat([part for part, _ in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
    reasons = {f"{code}_w{number}": np.concatenate([r[code] for _, r in parts]) for code in parts[0][1]}
    frame = frame.set_index("pid")
    frame.columns = [f"{code}_w{number}" for code in frame.columns]
    return frame, reasons


def _join_waves(parts: list[tuple[pd.DataFrame, dict]], specs: list[ColumnSpec]) -> tuple[pd.DataFrame, dict]:
    """The waves side by side, one row per pid (in order of first appearance); reasons follow their rows."""
    pids = pd.Index(pd.unique(np.concatenate([frame.index.to_numpy(dtype=object) for frame, _ in parts])), name="pid")
    frames, reasons = [], {}
    for frame, wave_reasons in parts:
        positions = frame.index.get_indexer(pids)
        frames.append(frame.reindex(pids))
        for code, values in wave_reasons.items():
            reasons[code] = np.where(positions >= 0, values[np.maximum(positions, 0)], 0).astype(np.int8) if len(values) else np.zeros(len(pids), np.int8)
    joined = pd.concat(frames, axis=1).reset_index()
    return joined[[spec.name for spec in specs]], reasons


# --------------------------------------------------------------------------- names and the flow as CSV


def flow_csv(flow: list[dict]) -> str:
    fields = (["wave"] if flow and "wave" in flow[0] else []) + list(FLOW_COLUMNS)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in flow:
        writer.writerow({**row, "enabled": "" if row["enabled"] is None else int(row["enabled"])})
    return buffer.getvalue()


def _slug(text) -> str:
    return str(text).replace("/", "-").replace(" ", "-")


def export_basename(wave: Wave | None, options: ExportOptions, study: Study | None = None) -> str:
    if options.panel:
        parts = [(study or wave.study).code, "panel", options.panel, "cleaned" if options.cleaned else "raw"]
    else:
        parts = [wave.study.code, wave.code, "cleaned" if options.cleaned else "raw", options.layout]
    return "_".join(_slug(part) for part in parts)
