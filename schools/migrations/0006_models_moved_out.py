
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('studies', '0001_moved_tables'),
        ('common', '0001_moved_tables'),
        ('safeguarding', '0001_moved_tables'),
        ('schools', '0005_membership_unique_per_place'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (db_table): only Django's record of which app owns them changes.
            state_operations=[
                migrations.RemoveField(
                    model_name='alertfollowup',
                    name='alert',
                ),
                migrations.RemoveField(
                    model_name='alertfollowup',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='auditevent',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='auditevent',
                    name='study',
                ),
                migrations.RemoveField(
                    model_name='guardianconsent',
                    name='recorded_by',
                ),
                migrations.RemoveField(
                    model_name='guardianconsent',
                    name='respondent',
                ),
                migrations.RemoveField(
                    model_name='guardianconsent',
                    name='wave',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='school',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='school_class',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='study',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='safeguardingrule',
                    name='study',
                ),
                migrations.RemoveField(
                    model_name='studypolicy',
                    name='study',
                ),
                migrations.DeleteModel(
                    name='Alert',
                ),
                migrations.DeleteModel(
                    name='AlertFollowUp',
                ),
                migrations.DeleteModel(
                    name='AuditEvent',
                ),
                migrations.DeleteModel(
                    name='GuardianConsent',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
                migrations.DeleteModel(
                    name='SafeguardingRule',
                ),
                migrations.DeleteModel(
                    name='StudyPolicy',
                ),
            ],
            database_operations=[],
        ),
    ]
