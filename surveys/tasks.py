"""Celery tasks of the survey app: thin wrappers around services."""

from celery import shared_task
from celery.signals import worker_ready

from .dispatch import outbox_flush
from .services import responses_score_pending


@shared_task(acks_late=True, ignore_result=True)
def score_pending() -> int:
    """Score every submitted response still without a score (also run periodically)."""
    return responses_score_pending()


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    """Send the tasks kept while the broker was down (beat runs this every minute)."""
    return outbox_flush()


@worker_ready.connect
def _flush_outbox_on_start(**kwargs) -> None:
    flush_outbox.delay()
