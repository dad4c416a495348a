"""The page script and the plain forms take the same paths: one navigation per page, messages kept, nothing cached."""

import pytest
from django.urls import reverse

from surveys.models import Response
from surveys.views import SCRIPT_HEADER
from tests.surveys.answers import page_answers
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db

SCRIPT = {"headers": {SCRIPT_HEADER: "1"}}


def test_a_page_sent_by_the_script_is_told_where_to_go(access_code):
    device = Device(access_code.code, start=True)
    device.load("about")
    reply = device.client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"}, **SCRIPT)
    assert reply.status_code == 204
    assert reply["X-Location"] == reverse("surveys:section", args=["parents_now"])
    assert Response.objects.get().answers["birth_year"] == page_answers("about")["birth_year"]


def test_a_page_with_errors_is_shown_again_to_the_script_as_to_the_form(access_code):
    device = Device(access_code.code, start=True)
    reply = device.client.post(reverse("surveys:section", args=["about"]), {"gender": "1", "next": "1"}, **SCRIPT)
    assert reply.status_code == 400 and b'name="birth_year"' in reply.content


def test_stop_for_now_confirms_with_the_script_on(access_code):
    device = Device(access_code.code, start=True)
    reply = device.client.post(reverse("surveys:stop"), **SCRIPT)
    assert reply.status_code == 204 and reply["X-Location"] == reverse("surveys:entry")
    assert "你已经停止答题" in device.client.get(reply["X-Location"]).content.decode()


def test_questionnaire_pages_are_never_kept_by_the_browser(access_code):
    device = Device(access_code.code, start=True)
    section = device.load("about")
    assert b'<form method="post" novalidate autocomplete="off" id="page-form"' in section.content  # no form state restored
    for page in (section, device.client.get(reverse("surveys:review"))):
        assert "no-store" in page["Cache-Control"]


def test_switching_language_keeps_the_answers_of_the_page(access_code):
    device = Device(access_code.code, start=True)
    device.load("about")
    # birth year not given yet (the page does not validate): what was ticked is kept all the same
    reply = device.send("about", {"gender": "2", "hukou": "1"}, button="active_seconds", lang="en")  # the language button
    assert reply.status_code == 302 and reply.url == reverse("surveys:section", args=["about"])
    answers = Response.objects.get().answers
    assert answers["gender"] == 2 and answers["hukou"] == 1 and "birth_year" not in answers
    page = device.load("about").content.decode()
    assert "About you" in page and 'value="2" id="id_gender_1" checked' in page
    assert Response.objects.get().lang == "en" and Response.objects.get().current_section == "about"


def test_the_language_buttons_send_the_page_form(access_code):
    device = Device(access_code.code, start=True)
    page = device.load("about").content.decode()
    assert 'name="lang" value="en" class="link" form="page-form" formaction="/q/about/"' in page
    assert 'id="page-form"' in page
