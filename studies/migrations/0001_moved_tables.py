
import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [('surveys', ['instrumentversion', 'study', 'wave', 'school', 'schoolclass', 'respondent']), ('schools', ['membership', 'studypolicy'])]


def content_types_moved(apps, schema_editor):
    """Permissions and admin history follow the models: their content types change app, not id."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model_names in MOVED:
        for model in model_names:
            if not ContentType.objects.filter(app_label="studies", model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(app_label="studies")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('surveys', '0008_staff_page_count_indexes'),
        ('schools', '0005_membership_unique_per_place'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.CreateModel(
                    name='InstrumentVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.CharField(max_length=40, unique=True, verbose_name='version')),
                        ('dictionary', models.TextField(verbose_name='data dictionary (CSV)')),
                        ('wording', models.TextField(verbose_name='wording (CSV)')),
                        ('fingerprint', models.CharField(max_length=32)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': 'instrument version',
                        'db_table': 'surveys_instrumentversion',
                        'ordering': ['version'],
                    },
                ),
                migrations.CreateModel(
                    name='School',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=40, verbose_name='code')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                    ],
                    options={
                        'verbose_name': 'school',
                        'db_table': 'surveys_school',
                        'ordering': ['study', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='Study',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('help_resources', models.TextField(blank=True, help_text='Shown to a student who reports distress: hotline, counsellor.', verbose_name='help resources')),
                        ('help_resources_en', models.TextField(blank=True, help_text='The same for students answering in English.', verbose_name='help resources (English)')),
                        ('idle_limit', models.DurationField(default=datetime.timedelta(seconds=1800), help_text="A student's session ends after this long without a request (e.g. 00:30:00).", verbose_name='idle limit')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': 'study',
                        'verbose_name_plural': 'studies',
                        'db_table': 'surveys_study',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='SchoolClass',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=40, verbose_name='code')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('school', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='classes', to='studies.school')),
                    ],
                    options={
                        'verbose_name': 'class',
                        'verbose_name_plural': 'classes',
                        'db_table': 'surveys_schoolclass',
                        'ordering': ['school', 'code'],
                    },
                ),
                migrations.AddField(
                    model_name='school',
                    name='study',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='schools', to='studies.study'),
                ),
                migrations.CreateModel(
                    name='Respondent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('pid', models.CharField(max_length=40, verbose_name='pseudonymous id')),
                        ('seat_number', models.PositiveIntegerField(blank=True, null=True, verbose_name='seat number')),
                        ('display_name', models.CharField(blank=True, help_text='Seen only inside the school; never exported.', max_length=100, verbose_name='display name')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='withdrawn at')),
                        ('school_class', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='respondents', to='studies.schoolclass')),
                        ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='respondents', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'respondent',
                        'db_table': 'surveys_respondent',
                        'ordering': ['study', 'pid'],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('teacher', 'teacher'), ('counsellor', 'school counsellor'), ('school_admin', 'school administrator'), ('researcher', 'researcher'), ('study_admin', 'study administrator')], max_length=20, verbose_name='role')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('school', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='studies.school')),
                        ('school_class', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='studies.schoolclass')),
                        ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'membership',
                        'db_table': 'schools_membership',
                    },
                ),
                migrations.CreateModel(
                    name='StudyPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('require_guardian_consent', models.BooleanField(default=False, verbose_name="require a guardian's consent before answering")),
                        ('teachers_see_follow_up', models.BooleanField(default=False, verbose_name='teachers see that a child needs follow-up')),
                        ('escalation_minutes', models.PositiveIntegerField(blank=True, help_text="Empty: the site's default.", null=True, verbose_name='escalate unacknowledged alerts after (minutes)')),
                        ('study', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='policy', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'study policy',
                        'verbose_name_plural': 'study policies',
                        'db_table': 'schools_studypolicy',
                    },
                ),
                migrations.CreateModel(
                    name='Wave',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=40, verbose_name='code')),
                        ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                        ('is_open', models.BooleanField(default=True, verbose_name='open')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('data_changed_at', models.DateTimeField(blank=True, null=True)),
                        ('instrument', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waves', to='studies.instrumentversion')),
                        ('study', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='waves', to='studies.study')),
                    ],
                    options={
                        'verbose_name': 'wave',
                        'db_table': 'surveys_wave',
                        'ordering': ['study', 'code'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='schoolclass',
                    constraint=models.UniqueConstraint(fields=('school', 'code'), name='class_code_unique_in_school'),
                ),
                migrations.AddConstraint(
                    model_name='school',
                    constraint=models.UniqueConstraint(fields=('study', 'code'), name='school_code_unique_in_study'),
                ),
                migrations.AddIndex(
                    model_name='respondent',
                    index=models.Index(condition=models.Q(('withdrawn_at__isnull', False)), fields=['study', '-withdrawn_at'], name='respondent_withdrawn'),
                ),
                migrations.AddConstraint(
                    model_name='respondent',
                    constraint=models.UniqueConstraint(fields=('study', 'pid'), name='pid_unique_in_study'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('school__isnull', True)), fields=('user', 'role', 'study'), name='membership_unique_study'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('school__isnull', False), ('school_class__isnull', True)), fields=('user', 'role', 'school'), name='membership_unique_school'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('school_class__isnull', False)), fields=('user', 'role', 'school_class'), name='membership_unique_class'),
                ),
                migrations.AddConstraint(
                    model_name='wave',
                    constraint=models.UniqueConstraint(fields=('study', 'code'), name='wave_code_unique_in_study'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_moved, migrations.RunPython.noop),
    ]
