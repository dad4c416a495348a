from django.db import migrations

# Tasks that moved with their app: beat's schedule and the outbox name them by module path.
RENAMED = {
    "surveys.tasks.flush_outbox": "common.tasks.flush_outbox",
    "schools.tasks.alerts_escalate": "safeguarding.tasks.alerts_escalate",
    "schools.tasks.alert_notify_task": "safeguarding.tasks.alert_notify_task",
}


def rename(apps, schema_editor, names):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    OutboxTask = apps.get_model("common", "OutboxTask")
    for old, new in names.items():
        PeriodicTask.objects.filter(task=old).update(task=new)
        OutboxTask.objects.filter(name=old).update(name=new)


class Migration(migrations.Migration):

    dependencies = [
        ("common", "0001_moved_tables"),
        ("surveys", "0004_periodic_tasks"),
        ("schools", "0003_escalation_schedule"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: rename(apps, editor, RENAMED),
            lambda apps, editor: rename(apps, editor, {new: old for old, new in RENAMED.items()}),
        ),
    ]
