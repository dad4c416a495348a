"""Celery tasks of the survey app: thin wrappers around services."""

from celery import shared_task

from .services import responses_score_pending, safeguarding_sweep


@shared_task(acks_late=True, ignore_result=True)
def score_pending() -> int:
    """Score every submitted response still without a score, then check recent submissions' distress rules again.

    Beat runs it every five minutes: a submission scored late, or whose check failed, still raises its alert.
    """
    scored = responses_score_pending()
    safeguarding_sweep()
    return scored
