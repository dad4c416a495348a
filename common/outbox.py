"""Queue Celery tasks without ever failing the request that asks for them.

A task is sent after the transaction commits. If the broker cannot take it
(Redis down), it is kept in the outbox table and sent by ``outbox_flush``,
which beat runs every minute and every worker runs when it starts: the task
runs once the broker is back.
"""

import logging

from celery import Task, current_app
from django.db import transaction
from django.utils.module_loading import import_string

from .models import OutboxTask

logger = logging.getLogger(__name__)


def enqueue(task: Task | str, **kwargs) -> None:
    """Send the Celery ``task`` with ``kwargs`` once the current transaction commits.

    ``task`` is the task or its name (``"surveys.tasks.score_pending"``, the name the outbox keeps):
    a service names the tasks of its own app, whose module imports the services, so that
    neither module imports the other inside a function.
    """
    transaction.on_commit(lambda: _send_or_keep(task, kwargs))


def _send_or_keep(task: Task | str, kwargs: dict) -> None:
    if isinstance(task, str):
        task = import_string(task)
    try:
        task.delay(**kwargs)
    except Exception as error:  # noqa: BLE001 - any broker error: keep the task
        logger.warning("broker unavailable, %s kept in the outbox: %s", task.name, error)
        OutboxTask.objects.create(name=task.name, kwargs=kwargs, last_error=str(error)[:500])


def outbox_flush(limit: int = 1000) -> int:
    """Send the kept tasks in order; stop at the first failure (the broker is still down)."""
    sent = 0
    for task in OutboxTask.objects.order_by("id")[:limit]:
        try:
            current_app.send_task(task.name, kwargs=task.kwargs)
        except Exception as error:  # noqa: BLE001
            OutboxTask.objects.filter(pk=task.pk).update(attempts=task.attempts + 1, last_error=str(error)[:500])
            break
        task.delete()
        sent += 1
    return sent
