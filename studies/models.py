"""Studies and their waves, schools, classes and children; who holds which role where; instrument versions.

The tables keep the names they had when these models lived in ``surveys`` and ``schools``
(``db_table``): moving the code moved no data.
"""
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class InstrumentVersion(models.Model):
    """A frozen questionnaire definition: the dictionary and the wording it was built from."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    dictionary = models.TextField(_("data dictionary (CSV)"))
    wording = models.TextField(_("wording (CSV)"))
    fingerprint = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "surveys_instrumentversion"
        verbose_name = _("instrument version")
        ordering = ["version"]

    def __str__(self) -> str:
        return self.version


class Study(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    help_resources = models.TextField(
        _("help resources"), blank=True, help_text=_("Shown to a student who reports distress: hotline, counsellor.")
    )
    help_resources_en = models.TextField(
        _("help resources (English)"), blank=True, help_text=_("The same for students answering in English.")
    )
    # A shared phone left alone this long goes back to the code page: the next child sees nothing of the last one's.
    idle_limit = models.DurationField(
        _("idle limit"),
        default=datetime.timedelta(minutes=30),
        help_text=_("A student's session ends after this long without a request (e.g. 00:30:00)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "surveys_study"
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code

    def help_text(self, lang: str) -> str:
        """The help resources in the student's language (Chinese, the first language, when no English is given)."""
        return (self.help_resources_en if lang == "en" else "") or self.help_resources


class Wave(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="waves")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)
    instrument = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="waves")
    is_open = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped whenever a response of the wave is submitted, imported or re-scored:
    # analysis runs compare it with the value they read.
    data_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "surveys_wave"
        verbose_name = _("wave")
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="wave_code_unique_in_study")]
        ordering = ["study", "code"]

    def __str__(self) -> str:
        return f"{self.study.code} {self.code}"


class School(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="schools")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        db_table = "surveys_school"
        verbose_name = _("school")
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="school_code_unique_in_study")]
        ordering = ["study", "code"]

    def __str__(self) -> str:
        return self.name or self.code


class SchoolClass(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        db_table = "surveys_schoolclass"
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="class_code_unique_in_school")]
        ordering = ["school", "code"]

    def __str__(self) -> str:
        return self.name or self.code


class Respondent(models.Model):
    """A child, known to researchers only by ``pid``; the display name stays in the school."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="respondents")
    pid = models.CharField(_("pseudonymous id"), max_length=40)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="respondents")
    seat_number = models.PositiveIntegerField(_("seat number"), null=True, blank=True)
    display_name = models.CharField(
        _("display name"), max_length=100, blank=True, help_text=_("Seen only inside the school; never exported.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The child or guardian withdrew: answers leave every export and analysis (and may be deleted).
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        db_table = "surveys_respondent"
        verbose_name = _("respondent")
        constraints = [models.UniqueConstraint(fields=["study", "pid"], name="pid_unique_in_study")]
        # The few withdrawn children, newest first (the withdrawn list; wave counts subtract their responses).
        indexes = [
            models.Index(fields=["study", "-withdrawn_at"], condition=models.Q(withdrawn_at__isnull=False), name="respondent_withdrawn")
        ]
        ordering = ["study", "pid"]

    def __str__(self) -> str:
        return self.pid


class Role(models.TextChoices):
    TEACHER = "teacher", _("teacher")
    COUNSELLOR = "counsellor", _("school counsellor")
    SCHOOL_ADMIN = "school_admin", _("school administrator")
    RESEARCHER = "researcher", _("researcher")
    STUDY_ADMIN = "study_admin", _("study administrator")


STUDY_WIDE_ROLES = (Role.RESEARCHER, Role.STUDY_ADMIN)
SCHOOL_ROLES = (Role.COUNSELLOR, Role.SCHOOL_ADMIN)


class Membership(models.Model):
    """One role of one user: a teacher of a class, a counsellor of a school, a researcher of a study."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "schools_membership"
        verbose_name = _("membership")
        # One role once per place (three partial constraints: SQLite has no NULLS NOT DISTINCT).
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "study"], condition=models.Q(school__isnull=True), name="membership_unique_study"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"],
                condition=models.Q(school__isnull=False, school_class__isnull=True),
                name="membership_unique_school",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school_class"],
                condition=models.Q(school_class__isnull=False),
                name="membership_unique_class",
            ),
        ]

    def __str__(self) -> str:
        where = self.school_class or self.school or self.study
        return f"{self.user} {self.get_role_display()} {where}"

    def clean(self) -> None:
        if self.role == Role.TEACHER and self.school_class_id is None:
            raise ValidationError(_("A teacher's role names a class."))
        if self.role in SCHOOL_ROLES and self.school_id is None:
            raise ValidationError(_("This role names a school."))
        if self.school_class_id and not self.school_id:
            self.school = self.school_class.school
        # Names never meet answers: one user holds roles of one side only in a study.
        sides = (STUDY_WIDE_ROLES, (Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN))
        other_side = next(side for side in sides if self.role not in side)
        if self.user_id and self.study_id:
            clash = Membership.objects.filter(user_id=self.user_id, study_id=self.study_id, role__in=other_side)
            if clash.exclude(pk=self.pk).exists():
                raise ValidationError(
                    _("This user already has a role that sees children's names or answers in this study: one user may not see both.")
                )


class StudyPolicy(models.Model):
    """How a study handles consent and distress: set by the study administrator."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="policy")
    require_guardian_consent = models.BooleanField(
        _("require a guardian's consent before answering"), default=False
    )
    teachers_see_follow_up = models.BooleanField(
        _("teachers see that a child needs follow-up"), default=False
    )
    escalation_minutes = models.PositiveIntegerField(
        _("escalate unacknowledged alerts after (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: the site's default."),
    )

    class Meta:
        db_table = "schools_studypolicy"
        verbose_name = _("study policy")
        verbose_name_plural = _("study policies")

    def __str__(self) -> str:
        return str(self.study)
