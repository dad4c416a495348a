"""Celery tasks of safeguarding: thin wrappers around services."""

from celery import shared_task

from .models import Alert
from .services import alert_notify, alerts_notify_pending
from .services import alerts_escalate as _alerts_escalate


@shared_task(acks_late=True, ignore_result=True)
def alert_notify_task(alert_id: int) -> int:
    """E-mail the counsellors about one alert (queued when the alert is raised; a failure is retried by the sweep)."""
    alert = Alert.objects.filter(pk=alert_id).first()
    return alert_notify(alert=alert) if alert is not None else 0


@shared_task(acks_late=True, ignore_result=True)
def alerts_escalate() -> int:
    """Every 5 minutes (beat): send e-mails never sent, escalate unacknowledged alerts."""
    alerts_notify_pending()
    return _alerts_escalate()
