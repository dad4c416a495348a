"""Safeguarding: distress rules, the alerts they raise and their follow-up, guardians' consent.

The tables keep the names they had in the ``schools`` app (``db_table``).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SafeguardingRule(models.Model):
    """A condition checked on submission: a derived score or an item answer at or above a threshold."""

    class Source(models.TextChoices):
        SCORE = "score", _("derived score")
        ANSWER = "answer", _("item answer")

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="safeguarding_rules")
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SCORE)
    code = models.CharField(_("code"), max_length=40, help_text=_("A dictionary code, e.g. dep or dep5."))
    threshold = models.FloatField(_("at or above"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "schools_safeguardingrule"
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

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="alerts")
    school = models.ForeignKey("studies.School", on_delete=models.CASCADE, related_name="alerts")
    school_class = models.ForeignKey("studies.SchoolClass", on_delete=models.CASCADE, related_name="alerts")
    respondent = models.ForeignKey("studies.Respondent", on_delete=models.CASCADE, related_name="alerts")
    wave = models.ForeignKey("studies.Wave", on_delete=models.CASCADE, related_name="alerts")
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
        db_table = "schools_alert"
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
        db_table = "schools_alertfollowup"
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

    respondent = models.ForeignKey("studies.Respondent", on_delete=models.CASCADE, related_name="consents")
    wave = models.ForeignKey("studies.Wave", on_delete=models.CASCADE, related_name="consents")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "schools_guardianconsent"
        verbose_name = _("guardian consent")
        constraints = [models.UniqueConstraint(fields=["respondent", "wave"], name="one_consent_per_respondent_wave")]
