"""Who may see what: a user's roles, each tied to a study and, for school staff, to a school or class."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import School, SchoolClass, Study


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
        verbose_name = _("study policy")
        verbose_name_plural = _("study policies")

    def __str__(self) -> str:
        return str(self.study)


class SafeguardingRule(models.Model):
    """A condition checked on submission: a derived score or an item answer at or above a threshold."""

    class Source(models.TextChoices):
        SCORE = "score", _("derived score")
        ANSWER = "answer", _("item answer")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="safeguarding_rules")
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SCORE)
    code = models.CharField(_("code"), max_length=40, help_text=_("A dictionary code, e.g. dep or dep5."))
    threshold = models.FloatField(_("at or above"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("safeguarding rule")
        ordering = ["study", "name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.code} >= {self.threshold:g}"


class Alert(models.Model):
    """A child whose answers met a safeguarding rule: the school counsellor's to follow up."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        CLOSED = "closed", _("closed")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="alerts")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="alerts")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="alerts")
    respondent = models.ForeignKey("surveys.Respondent", on_delete=models.CASCADE, related_name="alerts")
    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="alerts")
    # Kept when the answers are deleted after a withdrawal: the follow-up record stays with the school.
    response = models.ForeignKey(
        "surveys.Response", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    rules = models.JSONField(_("rules met"), default=list)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Set once the counsellors were e-mailed (by a Celery task, or by the periodic sweep if the broker was down).
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["respondent", "wave"], name="one_alert_per_respondent_wave")]
        indexes = [models.Index(fields=["status", "escalated_at", "created_at"])]

    def __str__(self) -> str:
        return f"alert {self.pk} ({self.status})"


class AlertFollowUp(models.Model):  # noqa: DJ008  (shown inline under its alert, never by itself)
    """What the counsellor did: a talk, a call to the guardian, a referral."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(_("follow-up"))
    close = models.BooleanField(_("close the alert"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering = ["created_at"]


class GuardianConsent(models.Model):  # noqa: DJ008  (no __str__: the admin's list shows its columns, not its name)
    """A guardian's decision for one child and one wave, recorded by the school or given through a link."""

    class Method(models.TextChoices):
        PAPER = "paper", _("paper form received")
        LINK = "link", _("guardian link")

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        GIVEN = "given", _("given")
        REFUSED = "refused", _("refused")

    respondent = models.ForeignKey("surveys.Respondent", on_delete=models.CASCADE, related_name="consents")
    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="consents")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guardian consent")
        constraints = [models.UniqueConstraint(fields=["respondent", "wave"], name="one_consent_per_respondent_wave")]


class AuditEvent(models.Model):
    """Who did what: sign-ins, exports, alert views, deletions, permission changes."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    study = models.ForeignKey(Study, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"
