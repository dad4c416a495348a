"""The daily pruning of superseded runs' assignments, stored for django-celery-beat (edited in the admin).

Idempotent, like the rebuild schedule (0002): an existing task of the same name is left as it is.
"""

from django.db import migrations

TASK_NAME = "analysis: prune assignments of superseded runs"
TASK = "analysis.tasks.prune_superseded_assignments"


def create_periodic_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return
    daily, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=TASK,
        interval=daily,
        enabled=True,
        description="Delete the per-respondent rows of succeeded runs that are neither pinned nor the latest of their wave.",
    )


def remove_periodic_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0005_run_pinning_and_pruning"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_task, remove_periodic_task)]
