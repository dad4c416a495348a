"""python manage.py rescore --wave W"""

from django.core.management.base import BaseCommand, CommandError

from surveys.selectors import NotFound, wave_get
from surveys.services import wave_rescore


class Command(BaseCommand):
    help = "Re-score every submitted response of a wave (after a change of the scoring rules)."

    def add_arguments(self, parser):
        parser.add_argument("--wave", required=True)
        parser.add_argument("--study")

    def handle(self, *args, wave, study, **options):
        try:
            wave_obj = wave_get(code=wave, study=study)
        except NotFound as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{wave_rescore(wave=wave_obj)} responses re-scored in wave {wave_obj}")
