"""python manage.py export_responses --wave W --out PATH.csv [--cleaned]"""

from django.core.management.base import BaseCommand, CommandError

from scoring.cleaning import CLEANING_RULES
from surveys.exports import wave_export, write_csv
from surveys.selectors import NotFound, wave_get


class Command(BaseCommand):
    help = "Export a wave: one row per submitted response, columns in the order of the data dictionary."

    def add_arguments(self, parser):
        parser.add_argument("--wave", required=True)
        parser.add_argument("--study", help="needed when the wave code exists in several studies")
        parser.add_argument("--out", required=True)
        parser.add_argument("--cleaned", action="store_true", help="only the analytic sample; prints the flow")
        parser.add_argument(
            "--skip-rule",
            action="append",
            default=[],
            choices=[rule for rule, _ in CLEANING_RULES],
            help="switch a cleaning rule off (repeatable)",
        )

    def handle(self, *args, wave, study, out, cleaned, skip_rule, **options):
        try:
            wave_obj = wave_get(code=wave, study=study)
        except NotFound as error:
            raise CommandError(str(error)) from error
        export = wave_export(wave=wave_obj, cleaned=cleaned, rules={rule: False for rule in skip_rule})
        write_csv(export, out)
        if export.cleaning is not None:
            self.stdout.write(export.cleaning.flow_frame().to_string(index=False))
        self.stdout.write(f"{len(export.frame)} rows written to {out}")
