
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [('surveys', ['outboxtask']), ('schools', ['auditevent'])]


def content_types_moved(apps, schema_editor):
    """Permissions and admin history follow the models: their content types change app, not id."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model_names in MOVED:
        for model in model_names:
            if not ContentType.objects.filter(app_label="common", model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(app_label="common")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('surveys', '0008_staff_page_count_indexes'),
        ('schools', '0005_membership_unique_per_place'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('studies', '0001_moved_tables'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.CreateModel(
                    name='OutboxTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('kwargs', models.JSONField(default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'verbose_name': 'queued task',
                        'db_table': 'surveys_outboxtask',
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('actor_name', models.CharField(blank=True, max_length=150)),
                        ('action', models.CharField(db_index=True, max_length=60, verbose_name='action')),
                        ('target', models.CharField(blank=True, max_length=200, verbose_name='target')),
                        ('details', models.JSONField(blank=True, default=dict)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('study', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_events', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'db_table': 'schools_auditevent',
                        'ordering': ['-at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_moved, migrations.RunPython.noop),
    ]
