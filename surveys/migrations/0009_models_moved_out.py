
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0007_wave_moved_to_studies'),
        ('common', '0001_moved_tables'),
        ('exports', '0005_study_wave_moved_to_studies'),
        ('schools', '0006_models_moved_out'),
        ('studies', '0001_moved_tables'),
        ('surveys', '0008_staff_page_count_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.RemoveField(
                    model_name='wave',
                    name='instrument',
                ),
                migrations.DeleteModel(
                    name='OutboxTask',
                ),
                migrations.RemoveField(
                    model_name='respondent',
                    name='school_class',
                ),
                migrations.RemoveField(
                    model_name='respondent',
                    name='study',
                ),
                migrations.AlterField(
                    model_name='response',
                    name='respondent',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='responses', to='studies.respondent'),
                ),
                migrations.AlterField(
                    model_name='accesscode',
                    name='respondent',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_codes', to='studies.respondent'),
                ),
                migrations.RemoveField(
                    model_name='school',
                    name='study',
                ),
                migrations.RemoveField(
                    model_name='schoolclass',
                    name='school',
                ),
                migrations.AlterField(
                    model_name='response',
                    name='school_class',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='studies.schoolclass'),
                ),
                migrations.RemoveField(
                    model_name='wave',
                    name='study',
                ),
                migrations.AlterField(
                    model_name='accesscode',
                    name='wave',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_codes', to='studies.wave'),
                ),
                migrations.AlterField(
                    model_name='response',
                    name='wave',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='responses', to='studies.wave'),
                ),
                migrations.DeleteModel(
                    name='InstrumentVersion',
                ),
                migrations.DeleteModel(
                    name='Respondent',
                ),
                migrations.DeleteModel(
                    name='School',
                ),
                migrations.DeleteModel(
                    name='SchoolClass',
                ),
                migrations.DeleteModel(
                    name='Study',
                ),
                migrations.DeleteModel(
                    name='Wave',
                ),
            ],
            database_operations=[],
        ),
    ]
