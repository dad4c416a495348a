"""Runs that failed before errors carried a reference id kept their Python traceback in ``error`` (shown
through the API and the report): keep a message only; the tracebacks are in the server's log of that time."""

from django.db import migrations

MESSAGE = "The analysis failed; the administrators can look it up in the log of that time."


def scrub(apps, schema_editor):
    AnalysisRun = apps.get_model("analysis", "AnalysisRun")
    AnalysisRun.objects.filter(error__contains="Traceback (most recent call last)").update(error=MESSAGE)


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_results_as_ordered_json")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
