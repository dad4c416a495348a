"""Celery tasks of the survey app: thin wrappers around services."""

from celery import shared_task

from .services import responses_score_pending


@shared_task(acks_late=True, ignore_result=True)
def score_pending() -> int:
    """Score every submitted response still without a score (also run periodically)."""
    return responses_score_pending()
