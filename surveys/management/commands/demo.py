"""python manage.py demo: a demo study with synthetic students, and a code to try the questionnaire."""

import io

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from analysis.core.synthetic import synthetic_cohort
from surveys.access_codes import format_access_code
from surveys.imports import responses_import
from surveys.instruments import instrument_version_default
from surveys.models import AccessCode, Respondent, Study, Wave
from surveys.services_codes import access_codes_issue

DEMO_STUDY = "demo"
DEMO_WAVE = "2026-1"


class Command(BaseCommand):
    help = "Create (once) a demo study: a few classes of synthetic students, some of them already submitted."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=240, help="synthetic students who have answered")
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, students, url, **options):
        study, created = Study.objects.get_or_create(
            code=DEMO_STUDY,
            defaults={"name": "演示研究 Demo study", "help_resources": "心理援助热线 Hotline: 12356\n学校心理老师 School counsellor: room 201"},
        )
        wave, _ = Wave.objects.get_or_create(
            study=study, code=DEMO_WAVE, defaults={"name": "Demo wave", "instrument": instrument_version_default()}
        )
        if created:
            self._populate(study, wave, students)
        code = self._fresh_code(wave)
        password = self._researcher()
        self.stdout.write(self.style.SUCCESS(f"\nDemo study ready: {wave.responses.count()} responses in wave {wave.code}."))
        self.stdout.write(f"  Questionnaire:  {url}")
        self.stdout.write(f"  Access code:    {format_access_code(code)}")
        self.stdout.write(f"  Staff pages:    {url}staff/  (user 'demo-admin', password '{password}')\n")

    @transaction.atomic
    def _populate(self, study, wave, students):
        frame = synthetic_cohort(students, seed=2026, wave=wave.code, n_schools=2, classes_per_school=3)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        buffer.seek(0)
        responses_import(source=buffer, study=study, wave=wave)
        classes = list({r.school_class for r in Respondent.objects.filter(study=study).select_related("school_class")})
        for school_class in classes:  # children who have not answered yet, to try the questionnaire with
            for seat in range(1, 6):
                Respondent.objects.create(study=study, pid=f"DEMO-{school_class.pk}-{seat}", school_class=school_class, seat_number=seat)
        access_codes_issue(wave=wave, respondents=Respondent.objects.filter(study=study))

    def _fresh_code(self, wave) -> str:
        """An active code whose student has not started yet (or any active code)."""
        codes = AccessCode.objects.filter(wave=wave, revoked_at__isnull=True)
        fresh = codes.exclude(respondent__responses__wave=wave).order_by("id").first()
        return (fresh or codes.order_by("id").first()).code

    def _researcher(self) -> str:
        user, created = get_user_model().objects.get_or_create(username="demo-admin", defaults={"is_staff": True, "is_superuser": True})
        if created:
            user.set_password("demo-admin")
            user.save()
        return "demo-admin"
