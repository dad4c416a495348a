"""python manage.py export_cleanup: delete the files of expired exports (also run hourly by Celery beat)."""

from django.core.management.base import BaseCommand

from exports.services import export_jobs_cleanup


class Command(BaseCommand):
    help = "Delete the files of exports kept past their time."

    def handle(self, *args, **options):
        self.stdout.write(f"{export_jobs_cleanup()} expired export file(s) deleted")
