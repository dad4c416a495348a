"""Access codes, responses, the answer history, page receipts and scores.

Answers and derived scores are kept as JSON keyed by the dictionary's codes,
so that the data dictionary stays the one definition of the instrument: a new
item is a new row in ``variables.csv``, not a migration.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessCode(models.Model):
    """What a student types to answer one wave. Revoking a code keeps the answers."""

    code = models.CharField(_("access code"), max_length=16, unique=True)
    respondent = models.ForeignKey("studies.Respondent", on_delete=models.CASCADE, related_name="access_codes")
    wave = models.ForeignKey("studies.Wave", on_delete=models.CASCADE, related_name="access_codes")
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

    respondent = models.ForeignKey("studies.Respondent", on_delete=models.CASCADE, related_name="responses")
    wave = models.ForeignKey("studies.Wave", on_delete=models.CASCADE, related_name="responses")
    # The class the child was in when answering this wave (children move up a grade between waves).
    school_class = models.ForeignKey("studies.SchoolClass", on_delete=models.PROTECT, related_name="responses")
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
