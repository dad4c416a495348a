"""Celery tasks of exports: thin wrappers around services."""

from celery import shared_task

from .services import export_job_run, export_jobs_cleanup


@shared_task(bind=True, acks_late=True, ignore_result=True, soft_time_limit=3600)
def export_job_task(self, job_id: int) -> None:
    export_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def export_jobs_cleanup_task() -> int:
    """Periodic (hourly, django-celery-beat): delete the files of expired exports."""
    return export_jobs_cleanup()
