
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exports', '0004_export_job_study_panel'),
        ('studies', '0001_moved_tables'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.AlterField(
                    model_name='exportjob',
                    name='study',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to='studies.study'),
                ),
                migrations.AlterField(
                    model_name='exportjob',
                    name='wave',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to='studies.wave'),
                ),
            ],
            database_operations=[],
        ),
    ]
