
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [('schools', ['safeguardingrule', 'alert', 'alertfollowup', 'guardianconsent'])]


def content_types_moved(apps, schema_editor):
    """Permissions and admin history follow the models: their content types change app, not id."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model_names in MOVED:
        for model in model_names:
            if not ContentType.objects.filter(app_label="safeguarding", model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(app_label="safeguarding")


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
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rules', models.JSONField(default=list, verbose_name='rules met')),
                        ('status', models.CharField(choices=[('open', 'open'), ('acknowledged', 'acknowledged'), ('closed', 'closed')], default='open', max_length=14, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='raised at')),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at')),
                        ('escalated_at', models.DateTimeField(blank=True, null=True, verbose_name='escalated at')),
                        ('notified_at', models.DateTimeField(blank=True, null=True, verbose_name='notified at')),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('respondent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='studies.respondent')),
                        ('response', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alerts', to='surveys.response')),
                        ('school', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='studies.school')),
                        ('school_class', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='studies.schoolclass')),
                        ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='studies.study')),
                        ('wave', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='studies.wave')),
                    ],
                    options={
                        'verbose_name': 'alert',
                        'db_table': 'schools_alert',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='AlertFollowUp',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('note', models.TextField(verbose_name='follow-up')),
                        ('close', models.BooleanField(default=False, verbose_name='close the alert')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('alert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='safeguarding.alert')),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'follow-up',
                        'db_table': 'schools_alertfollowup',
                        'ordering': ['created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='GuardianConsent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('method', models.CharField(choices=[('paper', 'paper form received'), ('link', 'guardian link')], max_length=10, verbose_name='method')),
                        ('decision', models.CharField(choices=[('pending', 'pending'), ('given', 'given'), ('refused', 'refused')], default='pending', max_length=10, verbose_name='decision')),
                        ('token', models.CharField(blank=True, max_length=64, null=True, unique=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('respondent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='studies.respondent')),
                        ('wave', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='studies.wave')),
                    ],
                    options={
                        'verbose_name': 'guardian consent',
                        'db_table': 'schools_guardianconsent',
                    },
                ),
                migrations.CreateModel(
                    name='SafeguardingRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('source', models.CharField(choices=[('score', 'derived score'), ('answer', 'item answer')], default='score', max_length=10, verbose_name='source')),
                        ('code', models.CharField(help_text='A dictionary code, e.g. dep or dep5.', max_length=40, verbose_name='code')),
                        ('threshold', models.FloatField(verbose_name='at or above')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='safeguarding_rules', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'safeguarding rule',
                        'db_table': 'schools_safeguardingrule',
                        'ordering': ['study', 'name'],
                    },
                ),
                migrations.AddIndex(
                    model_name='alert',
                    index=models.Index(fields=['status', 'escalated_at', 'created_at'], name='schools_ale_status_fed9d8_idx'),
                ),
                migrations.AddConstraint(
                    model_name='alert',
                    constraint=models.UniqueConstraint(fields=('respondent', 'wave'), name='one_alert_per_respondent_wave'),
                ),
                migrations.AddConstraint(
                    model_name='guardianconsent',
                    constraint=models.UniqueConstraint(fields=('respondent', 'wave'), name='one_consent_per_respondent_wave'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_moved, migrations.RunPython.noop),
    ]
