"""python manage.py load_wording PATH.csv --name V [--base 1]"""

from django.core.management.base import BaseCommand, CommandError

from scoring.instrument import InstrumentError
from studies.instruments import instrument_version_create, instrument_version_default
from studies.models import InstrumentVersion


class Command(BaseCommand):
    help = (
        "Create an instrument version whose wording is the base version's overridden by a wording file "
        "(columns key,zh-hans,en), e.g. the licensed items of a scale. Waves then choose the version."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--name", required=True, help="name of the new instrument version")
        parser.add_argument("--base", help="version to start from (default: the bundled one)")

    def handle(self, *args, path, name, base, **options):
        version = name
        if InstrumentVersion.objects.filter(version=version).exists():
            raise CommandError(f"instrument version {version!r} exists already: versions are frozen, choose a new name")
        base_version = InstrumentVersion.objects.filter(version=base).first() if base else instrument_version_default()
        if base_version is None:
            raise CommandError(f"no instrument version {base!r}")
        try:
            with open(path, encoding="utf-8-sig") as handle:
                created = instrument_version_create(version=version, wording=handle.read(), base=base_version)
        except (OSError, InstrumentError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"instrument version {created.version} created (fingerprint {created.fingerprint})")
