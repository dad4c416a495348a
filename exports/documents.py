"""What goes with an export's data file: the codebook (HTML, CSV), ``datapackage.json`` and loader scripts.

Every document is made from the export's :class:`surveys.exports.ColumnSpec`
list and result (waves, flows, instrument versions, fingerprints), so the
data file, its labels and its documents cannot disagree.

- ``STEM_codebook.html`` / ``.csv``: the export's metadata, the flow of every
  wave, and one row per column: wording in both languages, options in both
  languages, ``asked_when``, missing codes, measurement level, scale, reverse key.
- ``datapackage.json``: a Frictionless Data Package (Table Schema) of the data
  file (CSV: validated by ``frictionless`` in the tests), the codebook and the
  flow. Value labels are Table Schema v2 ``categories``; missing values are the
  v2 ``missingValues`` objects ``{value, label}`` of the file's format (an empty
  cell for CSV and Excel, ``.a``/``.b`` for Stata, -8/-9 for SPSS).
- ``STEM_load.R``: reads the data file with readr (CSV), readxl (Excel) or haven
  (Stata, SPSS), sets the variable and value labels, makes ``data_factors``
  and, when TraMineR is installed, the residence history as a ``seqdef`` object.
- ``STEM_load.do``: the same for Stata (labels, notes, ``xtset`` for a long panel).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

from django.template.loader import render_to_string

from scoring.alphabet import MIGRATION_STATUSES, mig_columns
from scoring.cleaning import FLOW_COLUMNS, FLOW_TYPES
from scoring.instrument import LANGUAGES

from .engine import (
    NOT_ANSWERED,
    NOT_ASKED,
    SPSS_MISSING,
    STATA_MISSING,
    ColumnSpec,
    ExportResult,
    flow_csv,
    missing_labels,
    private_file,
)

MIG_STATE_COLOURS = MIGRATION_STATUSES.colours  # NM, MG, LB1, LB2: the report's palette, in the R loader too
TABLE_TYPES = {"string": "string", "datetime": "datetime", "float": "number"}
CODEBOOK_COLUMNS = (
    "code", "label", "label_zh-hans", "label_en", "file_label", "type", "measure", "options", "options_zh-hans",
    "options_en", "asked_when", "missing", "reverse", "scale", "wave",
)


# --------------------------------------------------------------------------- codebook


def _options_text(values: dict) -> str:
    return "|".join(f"{key}={text}" for key, text in values.items())


def missing_text(spec: ColumnSpec, result: ExportResult) -> str:
    """How the column's missing values appear in this export's data file."""
    if not spec.item:
        return "empty" if result.options.format in ("csv", "xlsx") else "system missing"
    labels = missing_labels("en")
    if result.options.format == "dta":
        return f".a = {labels[NOT_ASKED]}; .b = {labels[NOT_ANSWERED]}"
    if result.options.format in ("sav", "zsav"):
        return f"-8 = {labels[NOT_ASKED]}; -9 = {labels[NOT_ANSWERED]} (user-missing)"
    return "empty (not asked or not answered: see asked_when)"


def codebook_rows(result: ExportResult) -> list[dict]:
    lang = result.options.lang
    rows = []
    for spec in result.specs:
        variable = spec.variable
        rows.append(
            {
                "code": spec.name,
                "label": spec.label[lang],
                "label_zh-hans": spec.label["zh-hans"],
                "label_en": spec.label["en"],
                "file_label": spec.short_label(lang),
                "type": spec.type,
                "measure": spec.measure,
                "options": _options_text(spec.values.get(lang, {})),
                "options_zh-hans": _options_text(spec.values.get("zh-hans", {})),
                "options_en": _options_text(spec.values.get("en", {})),
                "asked_when": spec.asked_when(),
                "missing": missing_text(spec, result),
                "reverse": "yes" if variable is not None and variable.reverse else "",
                "scale": variable.scale if variable is not None else "",
                "wave": spec.wave,
            }
        )
    if result.options.hash_pid:
        text = "HMAC-SHA256 of pid with a salt used for this export only (not linkable to pid)"
        rows[0].update({"label": text, "label_en": text, "label_zh-hans": "pid 的加盐哈希（仅用于本次导出，无法与 pid 对应）"})
    return rows


def codebook_meta(result: ExportResult) -> list[tuple[str, str]]:
    options = result.options
    disabled = [rule for rule, enabled in options.rules.items() if not enabled]
    meta = [
        ("study", result.study),
        ("wave", result.wave),
        ("panel", options.panel or "no"),
        ("rows", str(result.row_count)),
        ("cleaned", "yes" if options.cleaned else "no"),
        ("rules switched off", ", ".join(disabled) or "none"),
        ("layout", options.layout),
        ("format", options.format + (f" (release {options.stata_version})" if options.format == "dta" else "")),
        ("language of labels", options.lang),
        ("pid", "salted hash" if options.hash_pid else "pid"),
        ("instrument version", result.instrument_version),
        ("instrument fingerprint", result.instrument_fingerprint),
    ]
    if len(result.waves) > 1:
        meta += [
            (f"wave {wave.number}", f"{wave.code}: instrument {wave.instrument_version} ({wave.instrument_fingerprint}), {wave.rows} rows")
            for wave in result.waves
        ]
    meta += [
        ("export fingerprint (SHA-256 of the data file)", result.fingerprint),
        ("SHA-256 of the data file", result.sha256),
        ("missing values", "; ".join(result.notes()[-3:-1])),
        ("created at", result.created_at),
    ]
    return meta


def codebook_csv(result: ExportResult) -> str:
    """One table: ``section`` = meta | flow | variable, so that one CSV carries all three."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    width = len(CODEBOOK_COLUMNS)
    writer.writerow(["section", *CODEBOOK_COLUMNS, *FLOW_COLUMNS[2:]])  # enabled, dropped, remaining
    for key, value in codebook_meta(result):
        writer.writerow(["meta", key, value, *[""] * (width - 2), "", "", ""])
    for row in result.flow:
        enabled = "" if row["enabled"] is None else int(row["enabled"])
        cells = [row["rule"], row["flag"], *[""] * (width - 3), row.get("wave", result.wave)]
        writer.writerow(["flow", *cells, enabled, row["dropped"], row["remaining"]])
    for row in codebook_rows(result):
        writer.writerow(["variable", *(row[column] for column in CODEBOOK_COLUMNS), "", "", ""])
    return buffer.getvalue()


CODEBOOK_CSS = Path(__file__).resolve().parent.parent / "static" / "exports" / "codebook.css"


def codebook_html(result: ExportResult, stem: str = "") -> str:
    """The codebook page; its stylesheet travels beside it in the bundle (``STEM_codebook.css``), no inline style."""
    return render_to_string(
        "exports/codebook.html",
        {"stylesheet": f"{stem}_codebook.css" if stem else "", "meta": codebook_meta(result), "waves": result.waves, "variables": [
            {**row, "label_zh": row["label_zh-hans"], "options_zh": row["options_zh-hans"].replace("|", "\n"),
             "options_en": row["options_en"].replace("|", "\n")} for row in codebook_rows(result)
        ], "result": result,
         "panel": bool(result.options.panel)},
    )


# --------------------------------------------------------------------------- datapackage.json


def _table_type(spec: ColumnSpec) -> str:
    return "integer" if spec.integral else TABLE_TYPES.get(spec.type, "string")


def _missing_values(result: ExportResult) -> list:
    labels = missing_labels("en")
    fmt = result.options.format
    if fmt == "dta":
        return [{"value": ".", "label": "missing"}] + [
            {"value": f".{tag}", "label": labels[reason]} for reason, tag in STATA_MISSING.items()
        ]
    if fmt in ("sav", "zsav"):
        return [{"value": "", "label": "system missing"}] + [
            {"value": str(code), "label": labels[reason]} for reason, code in SPSS_MISSING.items()
        ]
    return [{"value": "", "label": "missing: not asked, not answered or not computable (see asked_when in the codebook)"}]


def datapackage(result: ExportResult, stem: str) -> dict:
    """A Frictionless Data Package describing the export's files."""
    lang = result.options.lang
    fields = []
    for spec in result.specs:
        field = {
            "name": spec.name,
            "type": _table_type(spec),
            "title": spec.short_label(lang),
            "description": " / ".join(dict.fromkeys(spec.label[code] for code in LANGUAGES)),
        }
        if spec.type == "datetime":
            field["format"] = "any"
        values = spec.values.get(lang, {})
        if values:
            field["categories"] = [{"value": key, "label": text} for key, text in values.items()]
        extras = {"x-asked-when": spec.asked_when(), "x-measure": spec.measure, "x-wave": spec.wave,
                  "x-scale": spec.variable.scale if spec.variable is not None else "",
                  "x-reverse": bool(spec.variable is not None and spec.variable.reverse)}
        field.update({key: value for key, value in extras.items() if value})
        fields.append(field)
    key = ["pid", "wave_no"] if result.options.panel == "long" else (["pid", "year"] if result.options.layout == "long" else ["pid"])
    fmt = result.options.format
    data = {
        "name": "data",
        "type": "table",
        "path": f"{stem}.{result.options.extension}",
        "format": fmt,
        "hash": f"sha256:{result.sha256}",
        "bytes": result.path.stat().st_size,
        "schema": {"fields": fields, "missingValues": _missing_values(result), "primaryKey": key},
    }
    if fmt == "csv":
        data.update({"mediatype": "text/csv", "encoding": "utf-8-sig", "dialect": {"header": True, "delimiter": ","}})
        data["schema"]["missingValues"] = [""]  # v1 readers take strings; the label of "" is in x-missing-values
        data["schema"]["x-missing-values"] = _missing_values(result)
    flow_fields = [{"name": name, "type": FLOW_TYPES[name]} for name in FLOW_COLUMNS]
    if result.options.panel:
        flow_fields.insert(0, {"name": "wave", "type": "string"})
    return {
        "name": re.sub(r"[^a-z0-9._-]+", "-", stem.lower()),
        "title": result.file_label(),
        "description": "\n".join(result.notes()),
        "created": result.created_at,
        "x-study": result.study,
        "x-waves": [{"number": w.number, "code": w.code, "instrument_version": w.instrument_version,
                     "instrument_fingerprint": w.instrument_fingerprint, "rows": w.rows} for w in result.waves],
        "x-options": result.options.to_dict(),
        "resources": [
            data,
            {"name": "codebook", "path": f"{stem}_codebook.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig"},
            {"name": "flow", "type": "table", "path": f"{stem}_flow.csv", "format": "csv", "mediatype": "text/csv",
             "encoding": "utf-8-sig", "schema": {"fields": flow_fields, "missingValues": [""]}},
        ],
    }


def datapackage_json(result: ExportResult, stem: str) -> str:
    return json.dumps(datapackage(result, stem), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- loader scripts


def _r(text: str) -> str:
    """An R string literal (non-ASCII as \\u escapes, so the script reads the same in any locale)."""
    return json.dumps(text, ensure_ascii=True)


def _r_values(values: dict) -> str:
    codes = ", ".join(f"{int(code)}L" for code in values)
    return f"stats::setNames(c({codes}), c({', '.join(_r(text) for text in values.values())}))"


def _mig_groups(result: ExportResult) -> list[tuple[str, list[str]]]:
    """The groups of ``mig_01..mig_12`` columns that make sequences: one, or one per wave of a wide panel."""
    names = set(result.columns)
    if result.options.panel == "wide":
        return [
            (f"w{wave.number}", mig_columns(f"_w{wave.number}"))
            for wave in result.waves if mig_columns(f"_w{wave.number}")[0] in names
        ]
    columns = mig_columns()
    return [("all", columns)] if set(columns) <= names else []


def r_loader(result: ExportResult, stem: str) -> str:
    """``STEM_load.R``: the data with its labels (``data``), as factors (``data_factors``), and the sequences."""
    options, lang = result.options, result.options.lang
    file = f"{stem}.{options.extension}"
    lines = [
        f"# Loads {file} ({result.file_label()}) with its labels.",
        "# Run it in the folder of the unzipped export: Rscript " + stem + "_load.R, or source() it in R.",
        "# data: labelled columns (haven), variable labels in attr(, \"label\"); data_factors: coded columns as factors;",
        "# mig_seq: the residence history (mig_01..mig_12) as a TraMineR state sequence object, when TraMineR is installed.",
        "suppressPackageStartupMessages({ library(haven); library(readr) })",
        "",
    ]
    if options.format == "dta":
        lines.append(f"data <- haven::read_dta({_r(file)})  # .a = not asked, .b = not answered: haven::na_tag()")
    elif options.format in ("sav", "zsav"):
        lines.append(f"data <- haven::read_sav({_r(file)}, user_na = FALSE)  # -8/-9 (not asked/answered) read as NA; user_na = TRUE keeps them")
    if options.format in ("dta", "sav", "zsav"):
        lines.append("# Stata and SPSS have no missing text: empty text is NA, as in the CSV")
        lines.append("for (v in names(data)) if (is.character(data[[v]])) data[[v]][!nzchar(data[[v]])] <- NA_character_")
    else:
        types = ", ".join(
            f"{_r(spec.name)} = readr::{'col_integer' if spec.integral else {'float': 'col_double', 'datetime': 'col_character'}.get(spec.type, 'col_character')}()"
            for spec in result.specs
        )
        lines.append(f"col_types <- readr::cols({types})")
        if options.format == "csv":
            lines.append(f"data <- readr::read_csv({_r(file)}, col_types = col_types, na = \"\", progress = FALSE)")
        else:
            lines += [
                "if (!requireNamespace(\"readxl\", quietly = TRUE)) stop(\"reading the Excel file needs the readxl package\")",
                f"raw <- readxl::read_xlsx({_r(file)}, sheet = \"data\", col_types = \"text\", na = \"\")",
                "data <- readr::type_convert(raw, col_types = col_types, na = \"\")",
            ]
        lines += [
            "# times: ISO 8601 with the offset, kept as local wall-clock times (as in the Stata and SPSS files)",
            f"for (v in c({', '.join(_r(s.name) for s in result.specs if s.type == 'datetime')})) "
            "data[[v]] <- as.POSIXct(substr(data[[v]], 1, 19), format = \"%Y-%m-%dT%H:%M:%S\", tz = \"UTC\")",
            "value_labels <- list(",
            ",\n".join(f"  {_r(spec.name)} = {_r_values(spec.values[lang])}" for spec in result.specs if spec.values.get(lang)),
            ")",
            "for (v in names(value_labels)) data[[v]] <- haven::labelled(data[[v]], value_labels[[v]])",
        ]
    lines += [
        "variable_labels <- c(",
        ",\n".join(f"  {_r(spec.name)} = {_r(spec.label[lang])}" for spec in result.specs),
        ")",
        "for (v in names(variable_labels)) attr(data[[v]], \"label\") <- variable_labels[[v]]",
        "data_factors <- haven::as_factor(data)",
    ]
    groups = _mig_groups(result)
    if groups:
        mig = next(spec for spec in result.specs if spec.code.startswith("mig_"))
        states = list(mig.values["en"].values())
        ids = "paste(data$pid, data$wave_no, sep = \"_\")" if options.panel == "long" else "data$pid"
        lines += [
            "",
            "if (requireNamespace(\"TraMineR\", quietly = TRUE)) {",
            f"  mig_states <- c({', '.join(_r(text.split(' ', 1)[0]) for text in states)})",
            f"  mig_labels <- c({', '.join(_r(text) for text in mig.values[lang].values())})",
            f"  mig_colours <- c({', '.join(_r(colour) for colour in MIG_STATE_COLOURS)})",
            "  mig_define <- function(columns) TraMineR::seqdef(",
            "    as.data.frame(lapply(data[columns], function(x) as.integer(haven::zap_labels(x)))),",
            f"    alphabet = {MIGRATION_STATUSES.codes[0]}:{MIGRATION_STATUSES.codes[-1]}, states = mig_states, labels = mig_labels, cpal = mig_colours, id = {ids}",
            "  )",
        ]
        if len(groups) == 1 and groups[0][0] == "all":
            lines.append(f"  mig_seq <- mig_define(c({', '.join(_r(c) for c in groups[0][1])}))")
        else:
            lines.append("  mig_seq <- list(")
            lines.append(",\n".join(f"    {name} = mig_define(c({', '.join(_r(c) for c in columns)}))" for name, columns in groups))
            lines.append("  )")
        lines.append("}")
    return "\n".join(lines) + "\n"


def _stata_text(text: str) -> str:
    """Text for a Stata command line: one line, no macro expansion (` and $ replaced)."""
    return " ".join(text.replace("`", "'").replace("$", "＄").replace('"\'', '" \'').split())


def _stata(text: str) -> str:
    """A Stata compound-quoted string."""
    return '`"' + _stata_text(text) + "\"'"


def stata_loader(result: ExportResult, stem: str) -> str:
    """``STEM_load.do``: the data with variable and value labels, notes, and ``xtset`` for a long panel."""
    options, lang = result.options, result.options.lang
    file = f"{stem}.{options.extension}"
    lines = [f"* Loads {file} with its labels. Run it in the folder of the unzipped export: do {stem}_load.do", "version 14", "clear"]
    if options.format == "dta":
        lines.append(f'use "{file}", clear  // labels, notes (notes list _dta) and .a/.b are in the file')
    else:
        if options.format in ("sav", "zsav"):
            lines.append(f'import spss using "{file}", clear  // Stata 16 or later; -8/-9 = not asked/not answered')
        elif options.format == "xlsx":
            lines.append(f'import excel using "{file}", sheet("data") firstrow case(preserve) allstring clear')
            lines.append("destring, replace")
        else:
            strings = [str(i) for i, spec in enumerate(result.specs, start=1) if spec.type in ("string", "datetime")]
            lines.append(
                f'import delimited using "{file}", clear varnames(1) case(preserve) encoding("utf-8") '
                f"bindquote(strict) stringcols({' '.join(strings)})"
            )
        if options.format in ("csv", "xlsx"):
            for spec in result.specs:
                if spec.type == "datetime":
                    lines += [
                        f"generate double {spec.name}_tc = clock(subinstr(substr({spec.name}, 1, 19), \"T\", \" \", 1), \"YMDhms\")",
                        f"format {spec.name}_tc %tc",
                        f"order {spec.name}_tc, after({spec.name})",
                        f"drop {spec.name}",
                        f"rename {spec.name}_tc {spec.name}",
                    ]
            for spec in result.specs:
                values = spec.values.get(lang)
                if values and spec.integral:
                    pairs = " ".join(f"{int(code)} {_stata(text)}" for code, text in values.items())
                    lines += [f"label define {spec.name} {pairs}, replace", f"label values {spec.name} {spec.name}"]
        for spec in result.specs:
            lines.append(f"label variable {spec.name} {_stata(spec.short_label(lang))}")
        lines.append(f"label data {_stata(result.file_label())}")
        lines += [f"notes _dta: {_stata_text(note)}" for note in result.notes()]
    if options.panel == "long":
        lines += ["encode pid, generate(pid_id)", "xtset pid_id wave_no"]
    elif options.panel == "wide":
        lines.append("* one row per pid; columns of wave N end in _wN (reshape long with @ stubs to get a long panel)")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the bundle


def documents(result: ExportResult, stem: str) -> dict[str, str]:
    """File name -> text of every document of an export (the data file aside)."""
    return {
        f"{stem}_codebook.html": codebook_html(result, stem),
        f"{stem}_codebook.css": CODEBOOK_CSS.read_text(encoding="utf-8"),
        f"{stem}_codebook.csv": "\ufeff" + codebook_csv(result),
        f"{stem}_flow.csv": "\ufeff" + flow_csv(result.flow),
        "datapackage.json": datapackage_json(result, stem),
        f"{stem}_load.R": r_loader(result, stem),
        f"{stem}_load.do": stata_loader(result, stem),
    }


def write_documents(result: ExportResult, directory: Path, stem: str) -> list[Path]:
    """Write the documents beside the data file (the command line's ``--codebook``)."""
    paths = []
    for name, text in documents(result, stem).items():
        path = Path(directory) / name
        private_file(path).write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def bundle_write(result: ExportResult, zip_path: Path, stem: str) -> Path:
    """A zip with the data file and its documents."""
    with zipfile.ZipFile(private_file(zip_path), "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(result.path, f"{stem}.{result.options.extension}")
        for name, text in documents(result, stem).items():
            bundle.writestr(name, text)
    return zip_path
