"""What every app shares: the audit log and the outbox of tasks the broker could not take.

The tables keep the names they had in ``schools`` and ``surveys`` (``db_table``).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what: sign-ins, exports, alert views, deletions, permission changes."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    study = models.ForeignKey("studies.Study", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "schools_auditevent"
        verbose_name = _("audit event")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"


class OutboxTask(models.Model):  # noqa: DJ008  (not in the admin; a row is read by outbox_flush only)
    """A Celery task that could not be queued (broker down), sent again by ``outbox_flush``."""

    name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "surveys_outboxtask"
        verbose_name = _("queued task")
