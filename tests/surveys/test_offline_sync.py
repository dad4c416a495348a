"""The phone's queue: page saves and the submission sent with a client id and a token, each written once."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import AnswerChange, PageReceipt, Response, Score
from tests.surveys.answers import page_answers
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db

DEP = [f"dep{i}" for i in range(1, 7)]


@pytest.fixture
def phone(access_code):
    device = Device(access_code.code, start=True)
    device.answer("about")
    device.bundle = device.client.get(reverse("surveys:offline_bundle")).json()
    return device


def send(phone, item: dict, *, client=None):
    """POST one queued write as the phone's queue does: JSON, the token, no cookie, no CSRF token."""
    client = client or Client(enforce_csrf_checks=True)
    body = {"token": phone.bundle["token"], "device": "phone-1", **item}
    return client.post(reverse("surveys:offline_sync"), body, content_type="application/json")


def page(section: str, answers: dict, *, shown: dict | None = None, id: str = "c-1", move: str = "next", **extra):
    return {"id": id, "kind": "page", "section": section, "answers": answers, "shown": shown or {}, "revision": 1,
            "lang": "zh-hans", "move": move, **extra}


def test_a_page_sent_twice_with_one_id_is_written_once(phone):
    answers = dict.fromkeys(DEP, 4)
    first = send(phone, page("depression", answers, shown=dict.fromkeys(DEP)))
    assert first.status_code == 200 and first.json() == {"status": "saved", "conflicts": {}, "revision": 2}
    again = send(phone, page("depression", answers, shown=dict.fromkeys(DEP)))  # its reply was lost
    assert again.json() == first.json()
    response = Response.objects.get()
    assert [response.answers[code] for code in DEP] == [4] * 6 and response.revision == 2
    assert AnswerChange.objects.filter(code__in=DEP).count() == 6
    assert PageReceipt.objects.filter(response=response, client_id="c-1").count() == 1
    assert response.current_section == "family_resources"
    assert AnswerChange.objects.filter(code="dep1").get().device == "phone-1"


def test_a_retry_after_another_device_changed_the_page_is_not_a_conflict(phone):
    send(phone, page("depression", dict.fromkeys(DEP, 4), shown=dict.fromkeys(DEP)))
    other = Device(Response.objects.get().respondent.access_codes.get().code)
    other.load("depression")
    other.send("depression", {**dict.fromkeys(DEP, 4), "dep1": 1})
    again = send(phone, page("depression", dict.fromkeys(DEP, 4), shown=dict.fromkeys(DEP)))
    assert again.json()["status"] == "saved"  # the first outcome: not a conflict with itself
    assert Response.objects.get().answers["dep1"] == 1


def test_a_queued_page_meets_another_devices_change_as_a_conflict(phone, access_code):
    other = Device(access_code.code)
    other.load("depression")
    other.send("depression", dict.fromkeys(DEP, 5))
    reply = send(phone, page("depression", {**dict.fromkeys(DEP, 5), "dep1": 3}, shown=dict.fromkeys(DEP)))
    assert reply.json()["status"] == "conflict" and reply.json()["conflicts"] == {"dep1": [3, 5]}
    assert [Response.objects.get().answers[code] for code in DEP] == [5] * 6
    resolved = send(phone, page("depression", {**dict.fromkeys(DEP, 5), "dep1": 3}, shown=dict.fromkeys(DEP, 5), id="c-2"))
    assert resolved.json()["status"] == "saved" and Response.objects.get().answers["dep1"] == 3


def test_the_server_checks_a_queued_page_as_the_form_does(phone):
    reply = send(phone, page("parents_now", {"parent_away": None}))
    assert reply.status_code == 400 and list(reply.json()["errors"]) == ["parent_away"]
    switch = send(phone, page("parents_now", {"parent_away": None, "contact_freq": 2}, id="c-3", move="stay", switch=True))
    assert switch.json()["status"] == "saved"  # a language switch saves without validation
    assert send(phone, page("nowhere", {}, id="c-4")).status_code == 400
    assert send(phone, {"id": "c-5", "kind": "page"}).status_code == 400
    bad_json = Client().post(reverse("surveys:offline_sync"), "[1,", content_type="application/json")
    assert bad_json.status_code == 400
    assert send(phone, page("depression", {}, id="")).status_code == 400


def test_a_bad_token_a_revoked_code_or_a_withdrawn_child_sends_nothing(phone, access_code):
    phone.bundle["token"] = phone.bundle["token"][:-2] + "xx"
    assert send(phone, page("depression", {"dep1": 1})).json()["status"] == "ended"
    phone.bundle = phone.client.get(reverse("surveys:offline_bundle")).json()
    access_code.revoked_at = timezone.now()
    access_code.save()
    assert send(phone, page("depression", {"dep1": 1})).status_code == 403
    access_code.revoked_at = None
    access_code.save()
    access_code.respondent.withdrawn_at = timezone.now()
    access_code.respondent.save()
    assert send(phone, page("depression", {"dep1": 1})).status_code == 403
    assert "dep1" not in Response.objects.get().answers


def test_the_submission_is_stored_and_scored_once_and_then_pages_are_refused(phone):
    for section in ("parents_now", "residence_history", "depression"):
        send(phone, page(section, page_answers(section), id=f"p-{section}"))
    first = send(phone, {"id": "s-1", "kind": "submit", "active_seconds": 30})
    again = send(phone, {"id": "s-1", "kind": "submit"})
    assert first.json() == {"status": "submitted", "created": True} and again.json() == {"status": "submitted", "created": False}
    response = Response.objects.get()
    assert response.is_submitted and response.submission_key == "s-1" and Score.objects.count() == 1
    late = send(phone, page("depression", dict.fromkeys(DEP, 1), id="p-late"))
    assert late.status_code == 410 and late.json()["status"] == "closed"
    replay = send(phone, page("depression", page_answers("depression"), id="p-depression"))
    assert replay.json()["status"] == "saved"  # a retry of a save made before the submission: its first outcome


def test_the_page_form_dedups_its_client_id_too(access_code):
    phone = Device(access_code.code, start=True)
    phone.load("about")
    first = phone.send("about", page_answers("about"), client_id="f-1")
    again = phone.send("about", page_answers("about"), client_id="f-1")
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert AnswerChange.objects.filter(code="birth_year").count() == 1
    assert Response.objects.get().revision == 1


def test_only_post(client):
    assert client.get(reverse("surveys:offline_sync")).status_code == 405
