"""Behaviour under faults, against the real PostgreSQL, Redis and Celery worker."""

import threading
import time

import pytest
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse

from common.models import OutboxTask
from common.outbox import enqueue, outbox_flush
from surveys.models import Response, Score
from surveys.tasks import score_pending
from tests.factories import AccessCodeFactory, ResponseFactory, WaveFactory
from tests.services.conftest import postgres_restart, redis_start, redis_stop, wait_until
from tests.services.students import Student
from tests.surveys.answers import page_answers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_down():
    redis_stop()
    try:
        yield
    finally:
        redis_start()


def test_students_submit_and_are_scored_while_redis_is_down(redis_down):
    code = AccessCodeFactory()
    client = Client()
    assert client.post(reverse("surveys:entry"), {"code": code.code}).status_code == 302
    client.post(reverse("surveys:assent"), {"agree": "on"})
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    assert client.post(reverse("surveys:review"), {"submission_key": "r"}).url == reverse("surveys:done")
    response = Response.objects.get()
    assert response.is_submitted
    assert Score.objects.filter(response=response).exists()


def test_tasks_queued_while_redis_is_down_run_once_it_is_back(celery_worker):
    """A student in distress submits while Redis is down: the counsellor's e-mail goes once Redis is back."""
    from safeguarding.models import Alert
    from studies.models import Role
    from tests.factories import MembershipFactory, SafeguardingRuleFactory, UserFactory

    code = AccessCodeFactory()
    study = code.wave.study
    SafeguardingRuleFactory(study=study, code="dep", threshold=6)
    counsellor = UserFactory(email="counsellor@school.example")
    MembershipFactory(user=counsellor, role=Role.COUNSELLOR, study=study, school=code.respondent.school_class.school)
    unscored = ResponseFactory(status=Response.Status.SUBMITTED, answers=page_answers("about"))
    Response.objects.filter(pk=unscored.pk).update(submitted_at="2026-01-01T10:00:00+08:00")
    redis_stop()
    try:
        client = Client()
        client.post(reverse("surveys:entry"), {"code": code.code})
        client.post(reverse("surveys:assent"), {"agree": "on"})
        client.post(reverse("surveys:section", args=["depression"]), {**page_answers("depression"), "next": "1"})
        assert client.post(reverse("surveys:review"), {"submission_key": "k"}).url == reverse("surveys:done")
        with transaction.atomic():
            enqueue(score_pending)
        assert {task.name for task in OutboxTask.objects.all()} == {"safeguarding.tasks.alert_notify_task", "surveys.tasks.score_pending"}
        assert Alert.objects.get().notified_at is None
    finally:
        redis_start()
    assert outbox_flush() == 2  # what beat does every minute
    wait_until(lambda: Alert.objects.get().notified_at is not None, 60, message="the worker to e-mail the counsellor")
    wait_until(lambda: Score.objects.filter(response=unscored).exists(), 60, message="the worker to score the response")
    assert OutboxTask.objects.count() == 0


def test_every_submission_is_stored_once_when_postgres_restarts(gunicorn_server):
    wave = WaveFactory()
    codes = [AccessCodeFactory(wave=wave, respondent__study=wave.study).code for _ in range(24)]
    close_old_connections()
    results, failures = {}, []

    def answer(code, delay):
        time.sleep(delay)
        try:
            student = Student(gunicorn_server, code)
            results[code] = (student.answer_everything().url.path, time.monotonic())
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            failures.append((code, repr(error)))

    threads = [threading.Thread(target=answer, args=(code, i * 0.15)) for i, code in enumerate(codes)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    restarted_at = time.monotonic()
    postgres_restart()  # while students are answering and submitting
    for thread in threads:
        thread.join(180)
    from django.db import connection

    connection.close()  # the test's own connection died with the restart
    assert failures == []
    assert all(path == "/q/done/" for path, _ in results.values()), results
    assert sum(finished > restarted_at for _, finished in results.values()) >= len(codes) // 2  # the restart hit mid-way
    assert Response.objects.filter(wave=wave, status=Response.Status.SUBMITTED).count() == len(codes)
    assert Score.objects.filter(response__wave=wave).count() == len(codes)
