"""Sessions that end: a revoked code, a withdrawn child, the study's idle limit; a new code on the phone starts clean."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from surveys import entry
from surveys.models import Response
from surveys.services import respondent_withdraw
from surveys.services_codes import access_code_reissue
from tests.factories import AccessCodeFactory, UserFactory
from tests.surveys.answers import page_answers, sections

pytestmark = pytest.mark.django_db


def _start(client, code):
    client.post(reverse("surveys:entry"), {"code": code})
    client.post(reverse("surveys:assent"), {"agree": "on"})


def _first_page(client):
    return client.get(reverse("surveys:section", args=[sections()[0]]))


def test_a_revoked_code_ends_the_open_session_at_the_next_request(client, access_code):
    _start(client, access_code.code)
    assert _first_page(client).status_code == 200
    access_code_reissue(access_code=access_code)
    page = _first_page(client)
    assert page.status_code == 302 and page.url.startswith(reverse("surveys:entry") + "?ended=")
    assert "失效" in client.get(page.url).content.decode()
    saved = client.post(reverse("surveys:section", args=[sections()[0]]), {**page_answers(sections()[0]), "next": "1"})
    assert saved.status_code == 302 and saved.url.startswith(reverse("surveys:entry"))
    assert client.post(reverse("surveys:review"), {"submission_key": "x"}).url.startswith(reverse("surveys:entry"))
    assert Response.objects.get().answers == {} and not Response.objects.get().is_submitted


def test_a_revoked_code_cannot_submit_through_the_api_session(access_code):
    client = APIClient()
    _start(client, access_code.code)
    access_code_reissue(access_code=access_code)
    assert client.post("/api/v1/responses/submit", {"answers": {}}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 401
    assert not Response.objects.get().is_submitted


def test_withdrawing_the_child_ends_the_session(client, access_code):
    _start(client, access_code.code)
    respondent_withdraw(actor=UserFactory(), respondent=access_code.respondent)
    assert _first_page(client).url.startswith(reverse("surveys:entry"))


def test_the_idle_limit_returns_a_shared_phone_to_the_code_page(client, access_code, monkeypatch):
    study = access_code.wave.study
    study.idle_limit = datetime.timedelta(minutes=5)
    study.save()
    clock = [1_000_000.0]
    monkeypatch.setattr(entry.time, "time", lambda: clock[0])
    _start(client, access_code.code)
    clock[0] += 4 * 60
    assert _first_page(client).status_code == 200  # within the limit, and the stamp moves on
    clock[0] += 4 * 60
    assert _first_page(client).status_code == 200
    clock[0] += 5 * 60 + 1
    page = _first_page(client)
    assert page.status_code == 302 and page.url.startswith(reverse("surveys:entry") + "?ended=")
    assert "一段时间没有使用" in client.get(page.url).content.decode()
    assert entry.SESSION_RESPONSE not in client.session


def test_a_new_code_on_the_same_phone_shows_nothing_of_the_previous_student(client, access_code):
    first_section = sections()[0]
    _start(client, access_code.code)
    client.post(reverse("surveys:section", args=[first_section]), {**page_answers(first_section), "back": "1"})
    old_session = client.session.session_key
    other = AccessCodeFactory(wave=access_code.wave, respondent__school_class=access_code.respondent.school_class)
    _start(client, other.code)
    assert client.session.session_key != old_session
    assert set(client.session.keys()) >= {entry.SESSION_RESPONSE, entry.SESSION_CODE}
    assert client.session[entry.SESSION_RESPONSE] == Response.objects.get(respondent=other.respondent).pk
    page = _first_page(client).content.decode()
    first_answers = Response.objects.get(respondent=access_code.respondent).answers
    assert first_answers and "checked" not in page
    assert page.count(" selected>") == page.count('value="" selected>')  # every select on its empty choice


def test_an_ended_session_keeps_the_language(client, access_code):
    client.post(reverse("surveys:set_language"), {"lang": "en", "next": "/"})
    _start(client, access_code.code)
    access_code.revoked_at = timezone.now()
    access_code.save()
    assert "no longer valid" in client.get(_first_page(client).url).content.decode()


def test_student_pages_are_never_cached(client, access_code):
    """On a shared phone, Back must reload from the server (the current session), not show a cached page."""
    assert "no-store" in client.get(reverse("surveys:entry"))["Cache-Control"]
    _start(client, access_code.code)
    assert "no-store" in _first_page(client)["Cache-Control"]
