"""python manage.py export_responses --wave W [--cleaned] [--format csv|xlsx|dta|sav] [--layout wide|long|sequences] [--out PATH]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.cleaning import CLEANING_RULES
from surveys.exports import FORMATS, LAYOUTS, ExportOptions, ExportOptionsError, export_basename, export_write, write_codebooks
from surveys.selectors import NotFound, wave_get


class Command(BaseCommand):
    help = "Export a wave: one row per submitted response, columns in the order of the data dictionary."

    def add_arguments(self, parser):
        parser.add_argument("--wave", required=True)
        parser.add_argument("--study", help="needed when the wave code exists in several studies")
        parser.add_argument("--out", help="the data file (default: STUDY_WAVE_raw|cleaned_LAYOUT.FORMAT here)")
        parser.add_argument("--cleaned", action="store_true", help="only the analytic sample; prints the flow")
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
            "sequences (pid, mig_01..mig_12 for TraMineR's seqdef)",
        )
        parser.add_argument("--hash-pid", action="store_true", help="replace pid by a salted hash (for sharing)")
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"], help="language of value labels")
        parser.add_argument("--codebook", action="store_true", help="also write STEM_codebook.html and .csv beside --out")

    def handle(self, *args, wave, study, out, cleaned, skip_rule, format, layout, hash_pid, lang, codebook, **options):
        try:
            wave_obj = wave_get(code=wave, study=study)
        except NotFound as error:
            raise CommandError(str(error)) from error
        if format is None:
            suffix = Path(out).suffix.lstrip(".").lower() if out else ""
            format = suffix if suffix in FORMATS else "csv"
        try:
            export_options = ExportOptions(
                cleaned=cleaned, rules={rule: False for rule in skip_rule}, format=format, layout=layout,
                hash_pid=hash_pid, lang=lang,
            )
        except ExportOptionsError as error:
            raise CommandError(str(error)) from error
        path = Path(out) if out else Path(f"{export_basename(wave_obj, export_options)}.{export_options.extension}")
        result = export_write(wave=wave_obj, options=export_options, path=path)
        if cleaned:
            self.stdout.write(flow_text(result.flow))
        if codebook:
            for written in write_codebooks(result, path.parent, path.stem):
                self.stdout.write(f"codebook written to {written}")
        self.stdout.write(f"{result.row_count} rows written to {path} (fingerprint {result.fingerprint})")


def flow_text(flow: list[dict]) -> str:
    """The flow as an aligned table: rule, flag, enabled, dropped, remaining."""
    header = ("rule", "flag", "enabled", "dropped", "remaining")
    rows = [header] + [
        (row["rule"], row["flag"] or "-", "-" if row["enabled"] is None else str(row["enabled"]), str(row["dropped"]), str(row["remaining"]))
        for row in flow
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)
