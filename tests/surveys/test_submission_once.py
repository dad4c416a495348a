"""A submission is never counted twice and never lost: double taps, retries, two tabs."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Response, Score
from surveys.services import response_submit
from tests.factories import ResponseFactory
from tests.surveys.answers import page_answers


@pytest.mark.django_db
def test_second_submit_of_the_same_response_is_a_no_op():
    response = ResponseFactory(answers=page_answers("about"))
    first = response_submit(response_id=response.pk, submission_key="a")
    second = response_submit(response_id=response.pk, submission_key="b")
    assert first.created and not second.created
    stored = Response.objects.get()
    assert stored.submission_key == "a" and stored.submitted_at == first.response.submitted_at
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_double_tap_and_retry_over_http_give_one_submission(client, access_code):
    client.post(reverse("surveys:entry"), {"code": access_code.code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    responses = [client.post(reverse("surveys:review"), {"submission_key": "tap"}) for _ in range(3)]
    assert all(r.status_code == 302 and r.url == reverse("surveys:done") for r in responses)
    assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == 1
    assert Score.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_give_one_submission(access_code):
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.post(reverse("surveys:entry"), {"code": access_code.code})
    tabs[0].post(reverse("surveys:assent"), {"agree": "on"})
    tabs[0].post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    barrier = threading.Barrier(2)
    results = []

    def submit(tab):
        barrier.wait()
        results.append(tab.post(reverse("surveys:review"), {"submission_key": "tab"}).status_code)
        connection.close()

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302, 302]
    assert Response.objects.count() == 1
    assert Response.objects.get().is_submitted
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_submission_is_kept_when_scoring_fails(monkeypatch, access_code, client, django_capture_on_commit_callbacks):
    import surveys.scores

    def broken(*args, **kwargs):
        raise RuntimeError("scoring bug")

    monkeypatch.setattr(surveys.scores, "score_frame", broken)
    queued = []
    monkeypatch.setattr("surveys.tasks.score_pending.delay", lambda: queued.append(1))
    client.post(reverse("surveys:entry"), {"code": access_code.code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("surveys:review"), {"submission_key": "x"}).url == reverse("surveys:done")
    assert Response.objects.get().is_submitted
    assert Score.objects.count() == 0 and queued == [1]
    monkeypatch.undo()
    from surveys.tasks import score_pending

    assert score_pending() == 1
    assert Score.objects.count() == 1
