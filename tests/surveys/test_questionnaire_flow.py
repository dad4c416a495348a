"""The phone questionnaire through HTTP: entry, assent, pages, resume, review and submission."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Response, Score
from tests.surveys.answers import page_answers, sections

pytestmark = pytest.mark.django_db


def enter(client: Client, code: str):
    return client.post(reverse("surveys:entry"), {"code": code})


def start(client: Client, code: str):
    enter(client, code)
    return client.post(reverse("surveys:assent"), {"agree": "on"})


def test_entry_leads_to_assent_then_first_section(client, access_code):
    response = enter(client, access_code.code)
    assert response.status_code == 302 and response.url == reverse("surveys:assent")
    response = client.post(reverse("surveys:assent"), {"agree": "on"})
    assert response.url == reverse("surveys:section", args=[sections()[0]])
    assert Response.objects.get().started_at is not None


def test_code_is_accepted_in_lower_case_with_a_dash(client, access_code):
    typed = f"{access_code.code[:4].lower()}-{access_code.code[4:].lower()}"
    assert enter(client, typed).url == reverse("surveys:assent")


def test_assent_must_be_given(client, access_code):
    enter(client, access_code.code)
    response = client.post(reverse("surveys:assent"), {})
    assert response.status_code == 200
    assert Response.objects.get().started_at is None


def test_whole_questionnaire_is_stored_once_and_scored(client, access_code):
    start(client, access_code.code)
    for section in sections():
        response = client.post(reverse("surveys:section", args=[section]), {**page_answers(section), "next": "1"})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("surveys:review")
    assert client.get(reverse("surveys:review")).status_code == 200
    response = client.post(reverse("surveys:review"), {"submission_key": "k1"})
    assert response.url == reverse("surveys:done")
    stored = Response.objects.get()
    assert stored.is_submitted and stored.submitted_at and stored.duration_s is not None
    score = Score.objects.get(response=stored).values
    assert score["age"] == 13
    assert score["mig_seq"] == "-".join(["LB1"] * 12)
    assert score["migration_now"] is not None
    assert client.get(reverse("surveys:done")).status_code == 200


def test_resume_on_another_device_on_the_page_left(client, access_code):
    start(client, access_code.code)
    first, second, third = sections()[:3]
    client.post(reverse("surveys:section", args=[first]), {**page_answers(first), "next": "1"})
    client.post(reverse("surveys:section", args=[second]), {**page_answers(second), "next": "1"})
    other_device = Client()
    response = enter(other_device, access_code.code)
    assert response.url == reverse("surveys:section", args=[third])
    page = other_device.get(response.url)
    assert page.status_code == 200
    stored = Response.objects.get()
    assert stored.answers["birth_year"] == page_answers(first)["birth_year"]


def test_back_keeps_the_answers_and_goes_to_the_previous_page(client, access_code):
    start(client, access_code.code)
    first, second = sections()[:2]
    client.post(reverse("surveys:section", args=[first]), {**page_answers(first), "next": "1"})
    response = client.post(reverse("surveys:section", args=[second]), {"parent_away": "0", "back": "1"})
    assert response.url == reverse("surveys:section", args=[first])
    assert Response.objects.get().answers["parent_away"] == 0


def test_follow_ups_are_dropped_when_they_do_not_apply(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    posted = {**page_answers("parents_now", parent_away=0), "mother_away": "3", "father_away": "4", "next": "1"}
    client.post(reverse("surveys:section", args=["parents_now"]), posted)
    answers = Response.objects.get().answers
    assert answers["parent_away"] == 0
    assert "mother_away" not in answers and "father_away" not in answers


def test_residence_history_asks_only_the_years_lived(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about", age=9), "next": "1"})
    page = client.get(reverse("surveys:section", args=["residence_history"])).content.decode()
    assert 'name="res_child_10"' in page  # age 9: years 1..10
    assert 'name="res_child_11"' not in page


def test_same_as_previous_year_without_script(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about", age=12), "next": "1"})
    posted = {"res_child_01": "1", "res_father_01": "2", "res_mother_01": "1", "next": "1"}
    posted.update({f"same_{year:02d}": "1" for year in range(2, 13)})
    client.post(reverse("surveys:section", args=["residence_history"]), posted)
    answers = Response.objects.get().answers
    assert [answers[f"res_father_{year:02d}"] for year in range(1, 13)] == [2] * 12


def test_birth_date_is_required_to_route_the_residence_history(client, access_code):
    start(client, access_code.code)
    response = client.post(reverse("surveys:section", args=["about"]), {"gender": "1", "next": "1"})
    assert response.status_code == 400
    response = client.get(reverse("surveys:section", args=["residence_history"]))
    assert response.url == reverse("surveys:section", args=["about"])


def test_pages_after_submission_change_nothing(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    client.post(reverse("surveys:review"), {"submission_key": "k"})
    before = Response.objects.get().answers
    response = client.post(reverse("surveys:section", args=["about"]), {**page_answers("about", age=10), "next": "1"})
    assert response.url == reverse("surveys:done")
    assert Response.objects.get().answers == before


def test_stop_keeps_the_answers_and_ends_the_session(client, access_code):
    start(client, access_code.code)
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    client.post(reverse("surveys:stop"))
    assert client.get(reverse("surveys:section", args=["about"])).url == reverse("surveys:entry")
    assert Response.objects.get().answers["gender"] == page_answers("about")["gender"]


def test_language_can_be_switched_to_english_and_is_recorded(client, access_code):
    start(client, access_code.code)
    page = client.get(reverse("surveys:section", args=["about"])).content.decode()
    assert "关于你" in page
    client.post(reverse("surveys:set_language"), {"lang": "en", "next": reverse("surveys:section", args=["about"])})
    page = client.get(reverse("surveys:section", args=["about"])).content.decode()
    assert "About you" in page
    assert Response.objects.get().lang == "en"
