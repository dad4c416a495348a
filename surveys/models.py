"""Studies, waves, schools, respondents, access codes and responses.

Answers and derived scores are kept as JSON keyed by the dictionary's codes,
so that the data dictionary stays the one definition of the instrument: a new
item is a new row in ``variables.csv``, not a migration.
"""

import datetime

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
        verbose_name = _("respondent")
        constraints = [models.UniqueConstraint(fields=["study", "pid"], name="pid_unique_in_study")]
        # The few withdrawn children, newest first (the withdrawn list; wave counts subtract their responses).
        indexes = [
            models.Index(fields=["study", "-withdrawn_at"], condition=models.Q(withdrawn_at__isnull=False), name="respondent_withdrawn")
        ]
        ordering = ["study", "pid"]

    def __str__(self) -> str:
        return self.pid


class AccessCode(models.Model):
    """What a student types to answer one wave. Revoking a code keeps the answers."""

    code = models.CharField(_("access code"), max_length=16, unique=True)
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="access_codes")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="access_codes")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("access code")
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "wave"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_code_per_respondent_wave",
            )
        ]
        # A wave's live codes, counted on the index alone (the staff home's and the API's wave counts).
        indexes = [models.Index(fields=["wave"], condition=models.Q(revoked_at__isnull=True), name="accesscode_live_by_wave")]

    def __str__(self) -> str:
        return self.code


class Response(models.Model):
    """One respondent's answers to one wave: a draft until submitted, then never counted twice."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("in progress")
        SUBMITTED = "submitted", _("submitted")

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="responses")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    # The class the child was in when answering this wave (children move up a grade between waves).
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    lang = models.CharField(max_length=10, default="zh-hans")
    instrument_version = models.CharField(max_length=40)
    current_section = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    submission_key = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=12, default="web")  # web | api | import
    # Bumped by every save that changes an answer: a page sends the revision it was shown with.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("response")
        constraints = [models.UniqueConstraint(fields=["respondent", "wave"], name="one_response_per_respondent_wave")]
        indexes = [models.Index(fields=["wave", "status"])]

    def __str__(self) -> str:
        return f"{self.respondent_id}/{self.wave_id} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class AnswerChange(models.Model):
    """One answer written: old -> new, when, from which device and path. Append-only.

    Kept with the response (and deleted with it when a withdrawn child's
    answers are deleted); ``device`` is a random id held in the student's
    session, never an address.
    """

    class Source(models.TextChoices):
        PAGE = "page", _("page")
        SUBMIT = "submit", _("submission")
        IMPORT = "import", _("import")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answer_changes")
    code = models.CharField(_("item code"), max_length=40)
    old_value = models.IntegerField(_("old value"), null=True, blank=True)
    new_value = models.IntegerField(_("new value"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"))
    revision = models.PositiveIntegerField(_("revision"))
    device = models.CharField(_("device"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)

    class Meta:
        verbose_name = _("answer change")
        indexes = [models.Index(fields=["response", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.response_id} {self.code}: {self.old_value} -> {self.new_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("the answer history is append-only")
        super().save(*args, **kwargs)


class PageReceipt(models.Model):
    """A page save that carried a client-generated id: its retry returns this outcome and writes nothing again.

    The offline questionnaire sends every queued page with an id made on the
    phone; a save whose reply was lost is sent again with the same id.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="page_receipts")
    client_id = models.CharField(max_length=64)
    conflicts = models.JSONField(default=dict, blank=True)  # item code -> [this page's value, the saved one]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("page receipt")
        constraints = [models.UniqueConstraint(fields=["response", "client_id"], name="one_receipt_per_client_id")]

    def __str__(self) -> str:
        return f"{self.response_id} {self.client_id}"


class Score(models.Model):  # noqa: DJ008  (no __str__: the admin's "score object (N)" stays as users know it)
    """The derived variables of a submitted response, keyed by dictionary code."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="score")
    values = models.JSONField(default=dict)
    instrument_version = models.CharField(max_length=40)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score")


class OutboxTask(models.Model):  # noqa: DJ008  (not in the admin; a row is read by outbox_flush only)
    """A Celery task that could not be queued (broker down), sent again by ``outbox_flush``."""

    name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("queued task")
