"""Celery tasks every app relies on: sending what the broker could not take."""

from celery import shared_task
from celery.signals import worker_ready

from .outbox import outbox_flush


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    """Send the tasks kept while the broker was down (beat runs this every minute)."""
    return outbox_flush()


@worker_ready.connect
def _flush_outbox_on_start(**kwargs) -> None:
    flush_outbox.delay()
