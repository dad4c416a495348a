
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0006_periodic_prune'),
        ('studies', '0001_moved_tables'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.AlterField(
                    model_name='analysisrun',
                    name='wave',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='analysis_runs', to='studies.wave'),
                ),
            ],
            database_operations=[],
        ),
    ]
