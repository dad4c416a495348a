"""The periodic rebuild of changed waves, stored for django-celery-beat so its schedule is edited in the admin.

Idempotent: an existing task of the same name (perhaps with an edited
schedule) is left as it is.
"""

from django.db import migrations

TASK_NAME = "analysis: rebuild changed waves"
TASK = "analysis.tasks.rebuild_changed_waves"


def create_periodic_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task=TASK,
        interval=every_ten_minutes,
        enabled=True,
        description="Start an analysis run of each open wave whose data changed since its last run.",
    )


def remove_periodic_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_task, remove_periodic_task)]
