"""Celery tasks of the analysis app: thin wrappers around ``analysis.services``."""

from celery import shared_task

from .pinning import analysis_assignments_prune
from .services import RunBusy, analysis_run_execute, waves_rebuild_changed

SOFT_TIME_LIMIT_S = 1800
TIME_LIMIT_S = 2100


@shared_task(
    bind=True, acks_late=True, soft_time_limit=SOFT_TIME_LIMIT_S, time_limit=TIME_LIMIT_S, max_retries=3, ignore_result=True
)
def analysis_run_task(self, run_id: int) -> None:
    """Execute a queued run. A re-delivered message for a run still running elsewhere waits until it is stale."""
    try:
        analysis_run_execute(run_id=run_id)
    except RunBusy as busy:
        raise self.retry(countdown=busy.retry_after) from busy


@shared_task(ignore_result=True)
def rebuild_changed_waves() -> list[int]:
    """Periodic (django-celery-beat): start a run of each changed open wave that is due (debounced, see the service)."""
    return [run.pk for run in waves_rebuild_changed()]


@shared_task(ignore_result=True)
def prune_superseded_assignments() -> dict[int, int]:
    """Periodic (django-celery-beat, daily): delete the assignments of superseded, unpinned runs."""
    return analysis_assignments_prune()
