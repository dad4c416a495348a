"""Distress on submission: rules per study, help for the student, the counsellor notified and following up,
escalation when nobody acknowledges, and a log of who viewed an alert."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from common.models import AuditEvent
from safeguarding import services
from safeguarding.models import Alert
from studies.models import Membership, StudyPolicy
from surveys.models import Response
from surveys.services import response_safeguard, safeguarding_sweep
from tests.factories import AccessCodeFactory, SafeguardingRuleFactory, ScoreFactory
from tests.school_world import login
from tests.surveys.answers import page_answers, sections

pytestmark = pytest.mark.django_db


def answer_all(client, code, **overrides):
    client.post(reverse("surveys:entry"), {"code": code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    for section in sections():
        answers = page_answers(section)
        answers.update({key: value for key, value in overrides.items() if key in answers})
        assert client.post(reverse("surveys:section", args=[section]), {**answers, "next": "1"}).status_code == 302
    with _capture(execute=True):
        return client.post(reverse("surveys:review"), {"submission_key": "k"})


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    """Mail goes out on commit; tests run inside a transaction, so the submission runs the callbacks itself."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


@pytest.fixture
def kid_code(world):
    return AccessCodeFactory(respondent=world.kids_a1[0], wave=world.wave)


def test_score_rule_raises_alert_shows_help_and_mails_the_counsellor(client, world, kid_code):
    SafeguardingRuleFactory(study=world.study, name="depression 24+", code="dep", threshold=24)
    assert answer_all(client, kid_code.code, **{f"dep{i}": 4 for i in range(1, 7)}).url == reverse("surveys:done")
    alert = Alert.objects.get()
    assert alert.school_class == world.class_a1 and alert.rules[0]["name"] == "depression 24+"
    page = client.get(reverse("surveys:done")).content.decode()
    assert "Hotline 12355" in page and "Ms Li" in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["counsellor@school.example"]  # not the counsellor of the other school
    assert "Kid1" in message.body and "7-1" in message.body


def test_always_on_hopelessness_raises_alert_below_the_score_threshold(client, world, kid_code):
    SafeguardingRuleFactory(study=world.study, name="depression 24+", code="dep", threshold=24)
    SafeguardingRuleFactory(study=world.study, name="hopeless: always", source="answer", code="dep5", threshold=5)
    answer_all(client, kid_code.code, dep5=5)
    assert [rule["name"] for rule in Alert.objects.get().rules] == ["hopeless: always"]


def test_no_rule_met_no_alert_no_help(client, world, kid_code):
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=24)
    answer_all(client, kid_code.code)  # middle answers: dep = 18
    assert not Alert.objects.exists() and not mail.outbox
    assert "Hotline 12355" not in client.get(reverse("surveys:done")).content.decode()


def test_rules_of_another_study_do_not_apply(client, world, kid_code):
    SafeguardingRuleFactory(study=world.other_study, code="dep", threshold=6)
    answer_all(client, kid_code.code)
    assert not Alert.objects.exists()


def test_a_failing_check_never_fails_the_submission(client, world, kid_code):
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=6)
    with mock.patch("safeguarding.services.Alert.objects.create", side_effect=RuntimeError("db hiccup")):
        assert answer_all(client, kid_code.code).url == reverse("surveys:done")
    assert Response.objects.get().is_submitted


def test_mail_failure_keeps_the_alert_in_the_queue(client, world, kid_code):
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=6)
    with mock.patch("safeguarding.services.send_mail", side_effect=OSError("smtp down")):
        answer_all(client, kid_code.code)
    assert Alert.objects.count() == 1


def _alert(world, *, minutes_ago=0):
    response = Response.objects.create(
        respondent=world.kids_a1[0], wave=world.wave, school_class=world.class_a1, status="submitted",
        instrument_version="1", answers={"dep5": 5},
    )
    alert = Alert.objects.create(
        study=world.study, school=world.class_a1.school, school_class=world.class_a1, respondent=world.kids_a1[0],
        wave=world.wave, response=response, rules=[{"name": "hopeless"}],
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return Alert.objects.get(pk=alert.pk)


def test_unacknowledged_alerts_escalate_once_to_the_study_administrator(world, settings):
    settings.ALERT_ESCALATION_MINUTES = 60
    old = _alert(world, minutes_ago=61)
    assert services.alerts_escalate() == 1
    assert services.alerts_escalate() == 0  # once
    old.refresh_from_db()
    assert old.escalated_at is not None
    assert mail.outbox[-1].to == ["studyadmin@school.example"] and "已上报" in mail.outbox[-1].subject
    # the study administrator learns the seat and class, never the name (names never meet answers)
    assert "Kid1" not in mail.outbox[-1].body and "7-1" in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 1


def test_acknowledged_or_recent_alerts_do_not_escalate_and_the_study_can_shorten_the_delay(world, settings):
    settings.ALERT_ESCALATION_MINUTES = 60
    alert = _alert(world, minutes_ago=30)
    assert services.alerts_escalate() == 0
    StudyPolicy.objects.create(study=world.study, escalation_minutes=15)
    services.alert_acknowledge(alert=alert, user=world.users["counsellor"])
    assert services.alerts_escalate() == 0
    Alert.objects.filter(pk=alert.pk).update(status="open")
    assert services.alerts_escalate() == 1


def test_escalation_is_a_celery_task_scheduled_in_beat(world):
    from django_celery_beat.models import PeriodicTask

    from safeguarding.tasks import alerts_escalate

    task = PeriodicTask.objects.get(task="safeguarding.tasks.alerts_escalate")
    assert task.enabled and task.interval.every == 5
    _alert(world, minutes_ago=10_000)
    assert alerts_escalate.apply().get() == 1


def test_school_without_counsellor_goes_straight_to_the_study_administrator(world, client):
    kid = world.kids_b1[0]
    Membership.objects.filter(role="counsellor", school=world.class_b1.school).delete()
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=6)
    answer_all(client, AccessCodeFactory(respondent=kid, wave=world.wave).code)
    alert = Alert.objects.get()
    assert alert.escalated_at is not None and mail.outbox[0].to == ["studyadmin@school.example"]


def test_counsellor_acknowledges_and_records_follow_up_and_views_are_logged(client, world):
    alert = _alert(world)
    login(client, world.users["counsellor"])
    page = client.get(reverse("schools:alert_list")).content.decode()
    assert "Kid1" in page and "7-1" in page
    client.get(reverse("schools:alert_detail", args=[alert.pk]))
    client.post(reverse("schools:alert_acknowledge", args=[alert.pk]))
    client.post(reverse("schools:alert_follow_up", args=[alert.pk]), {"note": "Talked with her; guardian called.", "close": "on"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED and alert.acknowledged_by == world.users["counsellor"]
    assert alert.follow_ups.get().note.startswith("Talked")
    views = AuditEvent.objects.filter(action="alert.view", target=f"alert {alert.pk}")
    assert views.count() == 2 and set(views.values_list("actor_name", flat=True)) == {"counsellor"}


@pytest.mark.parametrize("allowed", [False, True])
def test_teachers_see_follow_up_only_if_the_study_allows_it(client, world, allowed):
    StudyPolicy.objects.create(study=world.study, teachers_see_follow_up=allowed)
    _alert(world)
    login(client, world.users["teacher"])
    page = client.get(reverse("schools:roster", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    assert ("data-follow-up" in page) == allowed
    assert "hopeless" not in page  # never the rule or the answers


def test_school_admin_sees_the_follow_up_flag(client, world):
    _alert(world)
    login(client, world.users["school_admin"])
    page = client.get(reverse("schools:roster", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    assert "data-follow-up" in page


def test_a_second_check_raises_no_second_alert(world):
    SafeguardingRuleFactory(study=world.study, code="dep5", source="answer", threshold=5)
    alert = _alert(world)
    Alert.objects.all().delete()
    response = alert.response
    first = response_safeguard(response_id=response.pk)
    second = response_safeguard(response_id=response.pk)
    assert first.pk == second.pk and Alert.objects.count() == 1


def test_a_submission_scored_late_is_checked_by_the_periodic_sweep(world):
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=20)
    response = Response.objects.create(
        respondent=world.kids_a1[0], wave=world.wave, school_class=world.class_a1, status="submitted",
        instrument_version="1", submitted_at=timezone.now(), answers={},
    )
    imported = Response.objects.create(
        respondent=world.kids_a1[1], wave=world.wave, school_class=world.class_a1, status="submitted",
        instrument_version="1", submitted_at=timezone.now(), source="import",
    )
    assert safeguarding_sweep() == 0  # not scored yet

    ScoreFactory(response=response, values={"dep": 25})
    ScoreFactory(response=imported, values={"dep": 25})
    assert safeguarding_sweep() == 1
    assert safeguarding_sweep() == 0
    assert Alert.objects.get().respondent == world.kids_a1[0]


def test_mail_never_sent_because_the_broker_was_down_goes_out_with_the_sweep(client, world, kid_code, monkeypatch):
    from safeguarding.tasks import alert_notify_task

    def broker_down(alert_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(alert_notify_task, "delay", broker_down)
    SafeguardingRuleFactory(study=world.study, code="dep", threshold=6)
    assert answer_all(client, kid_code.code).url == reverse("surveys:done")
    assert not mail.outbox and Alert.objects.get().notified_at is None
    assert services.alerts_notify_pending(older_than_s=0) == 1
    assert mail.outbox[0].to == ["counsellor@school.example"] and Alert.objects.get().notified_at is not None
    assert services.alerts_notify_pending(older_than_s=0) == 0
