"""python manage.py demo: a demo study with synthetic students, and a code to try the questionnaire."""

import io

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from analysis.core.synthetic import synthetic_cohort
from safeguarding.models import SafeguardingRule
from studies.instruments import instrument_version_default
from studies.models import Membership, Respondent, Role, SchoolClass, Study, Wave
from studies.scoping import second_factor_required
from surveys.access_codes import format_access_code
from surveys.imports import responses_import
from surveys.models import AccessCode
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
            defaults={
                "name": "演示研究 Demo study",
                "help_resources": "心理援助热线：12356\n学校心理老师：201室",
                "help_resources_en": "Support hotline: 12356\nSchool counsellor: room 201",
            },
        )
        wave, _ = Wave.objects.get_or_create(
            study=study, code=DEMO_WAVE, defaults={"name": "Demo wave", "instrument": instrument_version_default()}
        )
        if created:
            self._populate(study, wave, students)
        code = self._fresh_code(wave)
        accounts = self._accounts(study)
        self.stdout.write(self.style.SUCCESS(f"\nDemo study ready: {wave.responses.count()} responses in wave {wave.code}."))
        self.stdout.write(f"  Questionnaire:  {url}")
        self.stdout.write(f"  Access code:    {format_access_code(code)}")
        self.stdout.write(f"  Staff pages:    {url}staff/  (password = user name for every demo account)")
        for username, what in accounts:
            self.stdout.write(f"    {username:<18} {what}")
        self._second_factors([username for username, _ in accounts])
        self.stdout.write("")

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

    def _second_factors(self, usernames) -> None:
        """Accounts whose role needs a second factor get an authenticator key (README: "Staff sign-in")."""
        from base64 import b32encode

        from django_otp.plugins.otp_totp.models import TOTPDevice

        users = [user for user in get_user_model().objects.filter(username__in=usernames).order_by("username") if second_factor_required(user)]
        if not users:
            return
        self.stdout.write("  Second factor (TOTP) for these accounts: add the key to an authenticator app, or print")
        self.stdout.write("  the current code with: .venv/bin/python manage.py totp_code USERNAME")
        for user in users:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
            self.stdout.write(f"    {user.username:<18} key {b32encode(device.bin_key).decode().rstrip('=')}")

    def _accounts(self, study) -> list[tuple[str, str]]:
        """One account per role (password = user name), and a safeguarding rule, for trying the staff pages."""
        school_class = SchoolClass.objects.filter(school__study=study).order_by("school__code", "code").first()
        school = school_class.school
        roles = [
            ("demo-admin", "superuser: everything, and the admin", None),
            ("demo-study-admin", "study administrator", Membership(role=Role.STUDY_ADMIN, study=study)),
            ("demo-researcher", "researcher: pseudonymous data, exports, analyses", Membership(role=Role.RESEARCHER, study=study)),
            ("demo-teacher", f"teacher of class {school_class.code} at school {school.code}", Membership(role=Role.TEACHER, study=study, school=school, school_class=school_class)),
            ("demo-counsellor", f"counsellor of school {school.code}", Membership(role=Role.COUNSELLOR, study=study, school=school)),
        ]
        users = get_user_model().objects
        for username, _, membership in roles:
            user, created = users.get_or_create(username=username, defaults={"is_staff": membership is None, "is_superuser": membership is None})
            if created:
                user.set_password(username)
                user.save()
            if membership is not None:
                membership.user = user
                Membership.objects.get_or_create(
                    user=user, role=membership.role, study=study, school=membership.school, school_class=membership.school_class
                )
        SafeguardingRule.objects.get_or_create(
            study=study, code="dep", defaults={"name": "Depression score 24 or more", "source": SafeguardingRule.Source.SCORE, "threshold": 24}
        )
        SafeguardingRule.objects.get_or_create(
            study=study, code="dep5", defaults={"name": "Always felt hopeless", "source": SafeguardingRule.Source.ANSWER, "threshold": 5}
        )
        return [(username, what) for username, what, _ in roles]
