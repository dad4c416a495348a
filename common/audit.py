"""The audit log's one writer: who did what, to which row, in which study."""

from .models import AuditEvent


def audit_record(*, actor, action: str, target="", details=None, study=None) -> AuditEvent:
    """One line of the audit log. ``target`` is a short description or an object (stored as text)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "",
        action=action[:60],
        target=str(target)[:200],
        study=study,
        details=details or {},
    )


def audit_alert_views(*, actor, alerts) -> None:
    """Who viewed which alert: one event per alert shown (queue, detail page or API)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_name=actor.get_username(),
                action="alert.view",
                target=f"alert {alert.pk}",
                study_id=alert.study_id,
                details={"alert": alert.pk, "school": alert.school_id},
            )
            for alert in alerts
        ]
    )
