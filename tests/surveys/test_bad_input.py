"""Bad input gets a clear message in the student's language and changes nothing stored."""

import pytest
from django.urls import reverse

from surveys.models import Response
from tests.surveys.answers import page_answers

pytestmark = pytest.mark.django_db


def start(client, code):
    client.post(reverse("surveys:entry"), {"code": code})
    client.post(reverse("surveys:assent"), {"agree": "on"})


def test_unknown_code_is_refused_in_chinese_by_default(client):
    response = client.post(reverse("surveys:entry"), {"code": "AAAA-BBBB"})
    assert response.status_code == 400
    assert "访问码无效" in response.content.decode()
    assert Response.objects.count() == 0


def test_unknown_code_is_refused_in_english_when_chosen(client):
    client.post(reverse("surveys:set_language"), {"lang": "en", "next": "/"})
    response = client.post(reverse("surveys:entry"), {"code": "AAAA-BBBB"})
    assert "This access code is not valid" in response.content.decode()


def test_revoked_code_and_closed_wave_are_refused(client, access_code):
    from django.utils import timezone

    access_code.revoked_at = timezone.now()
    access_code.save()
    assert client.post(reverse("surveys:entry"), {"code": access_code.code}).status_code == 400


def test_out_of_range_answer_posted_by_hand_is_refused_and_nothing_changes(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    before = Response.objects.get().answers
    tampered = {**page_answers("about"), "gender": "7", "birth_month": "13", "next": "1"}
    response = client.post(reverse("surveys:section", args=["about"]), tampered)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('role="alert"') == 2  # next to each of the two questions
    assert "请从选项中选择一个答案：你是几月出生的？" in page  # the error names the question
    assert Response.objects.get().answers == before


def test_a_page_posted_without_session_goes_to_code_entry(client):
    response = client.post(reverse("surveys:section", args=["about"]), page_answers("about"))
    assert response.url == reverse("surveys:entry")


def test_garbage_in_numeric_fields_is_refused(client, access_code):
    start(client, access_code.code)
    response = client.post(reverse("surveys:section", args=["about"]), {"birth_year": "20x5", "birth_month": "1"})
    assert response.status_code == 400
    assert Response.objects.get().answers == {}


def test_guessing_codes_locks_the_client_out(client, access_code):
    client.get(reverse("surveys:entry"))  # the code page gives the phone its device cookie
    for n in range(10):  # ten different wrong codes from one phone (the same one retyped counts once)
        client.post(reverse("surveys:entry"), {"code": f"AAAA-AAA{'ACDEFGHJKM'[n]}"})
    response = client.post(reverse("surveys:entry"), {"code": access_code.code})
    assert response.status_code == 400
    assert "尝试次数过多" in response.content.decode()
    assert Response.objects.count() == 0
