"""python manage.py export_responses (--wave W | --study S --panel long|wide) [--cleaned] [--format ...] [--out PATH]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.documents import write_documents
from exports.engine import (
    FORMATS,
    LAYOUTS,
    PANELS,
    STATA_VERSIONS,
    ExportOptions,
    ExportOptionsError,
    export_basename,
    export_write,
)
from scoring.cleaning import CLEANING_RULES, FLOW_COLUMNS
from scoring.instrument import LANGUAGES
from surveys.selectors import NotFound, study_get, wave_get


class Command(BaseCommand):
    help = (
        "Export a wave (one row per submitted response, columns in the order of the data dictionary), "
        "or every wave of a study as a long or wide panel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wave", help="the wave to export (or --study S --panel long|wide)")
        parser.add_argument("--study", help="the study of the panel; or of the wave, when its code exists in several studies")
        parser.add_argument(
            "--panel", choices=[panel for panel in PANELS if panel],
            help="every wave of --study: long (one row per pid and wave, with wave_no) or wide (one row per pid, columns _w1, _w2...)",
        )
        parser.add_argument("--out", help="the data file (default: a name from study, wave, cleaning and layout, here)")
        parser.add_argument("--cleaned", action="store_true", help="only the analytic sample (per wave); prints the flow")
        parser.add_argument(
            "--skip-rule",
            action="append",
            default=[],
            choices=[rule for rule, _ in CLEANING_RULES],
            help="switch a cleaning rule off (repeatable)",
        )
        parser.add_argument("--format", choices=FORMATS, help="default: from the extension of --out, else csv")
        parser.add_argument(
            "--layout", choices=LAYOUTS, default="wide",
            help="wide (one row per response), long (residence history: one row per respondent and year), "
            "sequences (pid, mig_01..mig_12 for TraMineR's seqdef); a panel is always of wide rows",
        )
        parser.add_argument("--stata-version", type=int, choices=STATA_VERSIONS, default=118, help="release of a .dta file")
        parser.add_argument("--hash-pid", action="store_true", help="replace pid by a salted hash (for sharing)")
        parser.add_argument("--lang", default="zh-hans", choices=LANGUAGES, help="language of variable and value labels")
        parser.add_argument(
            "--codebook", action="store_true",
            help="also write the codebook (HTML, CSV), the flow, datapackage.json and the R and Stata loaders beside --out",
        )

    def handle(self, *args, wave, study, panel, out, cleaned, skip_rule, format, layout, stata_version, hash_pid, lang, codebook, **options):
        if not wave and not panel:
            raise CommandError("name a wave (--wave W), or a study and a panel (--study S --panel long|wide)")
        try:
            if panel:
                if not study:
                    raise CommandError("a panel needs --study")
                target = {"study": study_get(code=study)}
            else:
                target = {"wave": wave_get(code=wave, study=study)}
        except NotFound as error:
            raise CommandError(str(error)) from error
        if format is None:
            suffix = Path(out).suffix.lstrip(".").lower() if out else ""
            format = suffix if suffix in FORMATS else "csv"
        try:
            export_options = ExportOptions(
                cleaned=cleaned, rules={rule: False for rule in skip_rule}, format=format, layout=layout,
                hash_pid=hash_pid, lang=lang, panel=panel or "", stata_version=stata_version,
            )
            stem = export_basename(target.get("wave"), export_options, study=target.get("study"))
            path = Path(out) if out else Path(f"{stem}.{export_options.extension}")
            result = export_write(options=export_options, path=path, **target)
        except ExportOptionsError as error:
            raise CommandError(str(error)) from error
        if cleaned:
            for info in result.waves:
                if panel:
                    self.stdout.write(f"wave {info.number}: {info.code}")
                self.stdout.write(flow_text(info.flow))
        if codebook:
            for written in write_documents(result, path.parent, path.stem):
                self.stdout.write(f"written {written}")
        self.stdout.write(f"{result.row_count} rows written to {path} (fingerprint {result.fingerprint})")


def flow_text(flow: list[dict]) -> str:
    """The flow as an aligned table: rule, flag, enabled, dropped, remaining."""
    header = FLOW_COLUMNS
    rows = [header] + [
        (row["rule"], row["flag"] or "-", "-" if row["enabled"] is None else str(row["enabled"]), str(row["dropped"]), str(row["remaining"]))
        for row in flow
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)
