"""A database filled when Study, Wave, Alert, AuditEvent... lived in ``surveys`` and ``schools`` migrates to the
new layout (``studies``, ``safeguarding``, ``common``) without losing or changing a row."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from analysis.models import AnalysisRun
from common.models import AuditEvent, OutboxTask
from exports.models import ExportJob
from safeguarding.models import Alert, AlertFollowUp, GuardianConsent, SafeguardingRule
from studies.models import InstrumentVersion, Membership, Respondent, School, SchoolClass, Study, StudyPolicy, Wave
from surveys.models import AccessCode, Response, Score

OLD_LAYOUT = [
    ("surveys", "0008_staff_page_count_indexes"),
    ("schools", "0005_membership_unique_per_place"),
    ("analysis", "0006_periodic_prune"),
    ("exports", "0004_export_job_study_panel"),
    ("studies", None),
    ("safeguarding", None),
    ("common", None),
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
MOVED = {
    "surveys": ["instrumentversion", "study", "wave", "school", "schoolclass", "respondent", "outboxtask"],
    "schools": ["membership", "studypolicy", "safeguardingrule", "alert", "alertfollowup", "guardianconsent", "auditevent"],
}
NEW_HOME = {
    "instrumentversion": "studies", "study": "studies", "wave": "studies", "school": "studies", "schoolclass": "studies",
    "respondent": "studies", "membership": "studies", "studypolicy": "studies", "safeguardingrule": "safeguarding",
    "alert": "safeguarding", "alertfollowup": "safeguarding", "guardianconsent": "safeguarding",
    "auditevent": "common", "outboxtask": "common",
}


def _fill_old_layout(apps) -> dict:
    """One row of every moved model (and of the models pointing at them), written with the old apps' models."""
    model = apps.get_model
    user = model("auth", "User").objects.create(username="counsellor", email="c@example.org")
    instrument = model("surveys", "InstrumentVersion").objects.create(version="v1", dictionary="d", wording="w", fingerprint="f")
    study = model("surveys", "Study").objects.create(code="old", name="Old layout", idle_limit=datetime.timedelta(minutes=20))
    wave = model("surveys", "Wave").objects.create(study=study, code="w1", instrument=instrument, data_changed_at=timezone.now())
    school = model("surveys", "School").objects.create(study=study, code="s1")
    klass = model("surveys", "SchoolClass").objects.create(school=school, code="c1")
    child = model("surveys", "Respondent").objects.create(study=study, pid="P-1", school_class=klass, seat_number=7, display_name="Li")
    model("surveys", "AccessCode").objects.create(code="ABCD2345", respondent=child, wave=wave)
    response = model("surveys", "Response").objects.create(
        respondent=child, wave=wave, school_class=klass, status="submitted", answers={"dep5": 4}, instrument_version="v1"
    )
    model("surveys", "Score").objects.create(response=response, values={"dep": 25}, instrument_version="v1")
    model("surveys", "OutboxTask").objects.create(name="schools.tasks.alert_notify_task", kwargs={"alert_id": 1})
    model("schools", "Membership").objects.create(user=user, role="counsellor", study=study, school=school)
    model("schools", "StudyPolicy").objects.create(study=study, require_guardian_consent=True, escalation_minutes=30)
    model("schools", "SafeguardingRule").objects.create(study=study, name="distress", code="dep", threshold=20)
    alert = model("schools", "Alert").objects.create(
        study=study, school=school, school_class=klass, respondent=child, wave=wave, response=response, rules=[{"code": "dep"}]
    )
    model("schools", "AlertFollowUp").objects.create(alert=alert, author=user, note="talked")
    model("schools", "GuardianConsent").objects.create(respondent=child, wave=wave, method="paper", decision="given")
    model("schools", "AuditEvent").objects.create(actor=user, actor_name="counsellor", action="alert.view", study=study)
    model("analysis", "AnalysisRun").objects.create(wave=wave)
    model("exports", "ExportJob").objects.create(wave=wave, study=study)
    # beat's schedule under the old task names (a flush by an earlier transactional test may have emptied it)
    every_minute = model("django_celery_beat", "IntervalSchedule").objects.create(every=1, period="minutes")
    for task in ("surveys.tasks.flush_outbox", "schools.tasks.alerts_escalate"):
        model("django_celery_beat", "PeriodicTask").objects.get_or_create(task=task, defaults={"name": task, "interval": every_minute})

    ContentType = model("contenttypes", "ContentType")
    # A fresh test database already holds the new content types: put the old ones in their place,
    # with a permission on one of them, as a database of the old layout has.
    ContentType.objects.filter(app_label__in=["studies", "safeguarding", "common"]).delete()
    for app_label, names in MOVED.items():
        for name in names:
            ContentType.objects.get_or_create(app_label=app_label, model=name)
    study_type = ContentType.objects.get(app_label="surveys", model="study")
    permission = model("auth", "Permission").objects.create(content_type=study_type, codename="audit_study", name="Audit study")
    return {"study": study.pk, "wave": wave.pk, "child": child.pk, "alert": alert.pk, "response": response.pk, "permission": permission.pk}


MODELS = (InstrumentVersion, Study, Wave, School, SchoolClass, Respondent, AccessCode, Response, Score, OutboxTask,
          Membership, StudyPolicy, SafeguardingRule, Alert, AlertFollowUp, GuardianConsent, AuditEvent, AnalysisRun, ExportJob)


def _counts() -> dict:
    return {model: model.objects.count() for model in MODELS}


@pytest.mark.django_db(transaction=True)
def test_every_row_is_found_after_migrating_forward():
    before = _counts()  # rows other tests' module fixtures keep committed
    executor = MigrationExecutor(connection)
    executor.migrate(OLD_LAYOUT)
    old_apps = executor.loader.project_state([node for node in OLD_LAYOUT if node[1]]).apps
    ids = _fill_old_layout(old_apps)

    executor = MigrationExecutor(connection)  # a fresh loader: the graph as `migrate` sees it
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert _counts() == {model: count + 1 for model, count in before.items()}

    study = Study.objects.get(pk=ids["study"])
    assert (study.code, study.idle_limit, study.policy.require_guardian_consent) == ("old", datetime.timedelta(minutes=20), True)
    child = Respondent.objects.get(pk=ids["child"])
    assert (child.pid, child.seat_number, child.display_name, child.school_class.school.code) == ("P-1", 7, "Li", "s1")
    alert = Alert.objects.select_related("respondent", "wave", "response__score").get(pk=ids["alert"])
    assert (alert.respondent_id, alert.wave_id, alert.response.score.values) == (ids["child"], ids["wave"], {"dep": 25})
    assert alert.follow_ups.get().note == "talked"
    assert Response.objects.get(pk=ids["response"]).answers == {"dep5": 4}
    assert Wave.objects.get(pk=ids["wave"]).analysis_runs.count() == 1
    assert ExportJob.objects.get(wave_id=ids["wave"]).study_id == ids["study"]

    # Content types changed app, not id: permissions given on them still hold.
    assert set(ContentType.objects.filter(app_label__in=["surveys", "schools"]).values_list("model", flat=True)).isdisjoint(NEW_HOME)
    for name, app_label in NEW_HOME.items():
        assert ContentType.objects.filter(app_label=app_label, model=name).count() == 1
    assert Permission.objects.get(pk=ids["permission"]).content_type.app_label == "studies"

    # Tasks that moved are found by their new names: beat's schedule and a task kept in the outbox.
    assert OutboxTask.objects.filter(kwargs={"alert_id": 1}).get().name == "safeguarding.tasks.alert_notify_task"
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"common.tasks.flush_outbox", "safeguarding.tasks.alerts_escalate"} <= tasks
    assert not {task for task in tasks if task.startswith("schools.") or task == "surveys.tasks.flush_outbox"}
