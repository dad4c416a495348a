"""python manage.py import_responses PATH.csv --study S --wave W"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from studies.instruments import instrument_version_default
from studies.models import Study, Wave
from surveys.imports import ImportFileError, responses_import


class Command(BaseCommand):
    help = "Import questionnaires in the canonical wide layout; report every invalid row without storing it."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--study", required=True, help="study code (created if new)")
        parser.add_argument("--wave", required=True, help="wave code (created in the study if new)")
        parser.add_argument("--lang", default=settings.LANGUAGE_CODE, choices=[code for code, _ in settings.LANGUAGES])

    def handle(self, *args, path, study, wave, lang, **options):
        with translation.override(lang):
            self._import(path, study, wave)

    def _import(self, path, study, wave):
        study_obj, _ = Study.objects.get_or_create(code=study, defaults={"name": study})
        wave_obj, _ = Wave.objects.get_or_create(
            study=study_obj, code=wave, defaults={"instrument": instrument_version_default()}
        )
        try:
            report = responses_import(source=path, study=study_obj, wave=wave_obj)
        except (ImportFileError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        for error in report.errors:
            self.stderr.write(f"row {error.row}, column {error.column}, value {error.value!r}: {error.reason}")
        self.stdout.write(
            f"{report.rows} rows read: {report.stored} stored and scored, "
            f"{report.already_present} already present, {report.invalid_rows} invalid (not stored)"
        )
