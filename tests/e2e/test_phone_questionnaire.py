"""A student answers on a phone in headless Chromium; screenshots of every page are kept."""

import pytest
from django.utils import timezone

from scoring.instrument import default_instrument
from surveys.models import Response, Score
from tests.e2e.questionnaire import (
    answer_page,
    click_and_follow,
    enter_code,
    give_assent,
    next_page,
    no_horizontal_scroll,
    path_of,
    start_questionnaire,
)
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = [section.code for section in default_instrument().sections]


def test_answer_leave_half_way_resume_elsewhere_and_submit(live_server, phone, shoot):
    code = AccessCodeFactory().code
    birth_year = timezone.localdate().year - 13
    page = phone()
    enter_code(page, live_server.url, code)
    shoot(page, "assent")
    give_assent(page)
    half = len(SECTIONS) // 2
    for section in SECTIONS[:half]:
        assert path_of(page) == f"/q/{section}/"
        answer_page(page, birth_year=birth_year)
        assert no_horizontal_scroll(page), section
        shoot(page, section)
        next_page(page)
    page.context.close()  # the battery dies half-way

    page = phone()  # another phone, the same code
    enter_code(page, live_server.url, code)
    assert path_of(page) == f"/q/{SECTIONS[half]}/"
    for section in SECTIONS[half:]:
        assert path_of(page) == f"/q/{section}/"
        answer_page(page, birth_year=birth_year)
        assert no_horizontal_scroll(page), section
        shoot(page, section)
        next_page(page)
    assert path_of(page) == "/q/review/"
    shoot(page, "review")
    with page.expect_navigation(url="**/q/done/"):
        page.click("button[data-once]")
    shoot(page, "done")

    response = Response.objects.get()
    assert response.is_submitted and response.duration_s is not None
    score = Score.objects.get(response=response).values
    assert score["age"] == 13
    assert score["mig_seq"] == "-".join(["LB1"] * 12)
    assert score["rsca"] is not None and score["dep"] is not None


def test_double_tap_and_retry_submit_once(live_server, phone, shoot):
    code = AccessCodeFactory().code
    page = phone()
    start_questionnaire(page, live_server.url, code, age=12)
    page.goto(live_server.url + "/q/review/")
    button = page.locator("button[data-once]")
    with page.expect_navigation(url="**/q/done/"):
        button.dblclick()  # a double tap
    page.go_back()  # the browser's back button, then a retry of the same form
    page.evaluate("document.querySelector('form.submit-form') && document.querySelector('form.submit-form').submit()")
    page.wait_for_load_state()
    shoot(page, "after-retry")
    assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == 1
    assert Score.objects.count() == 1


def test_chinese_by_default_english_on_request_and_errors_in_place(live_server, phone, shoot):
    page = phone(viewport={"width": 360, "height": 640})
    page.goto(live_server.url + "/")
    page.fill("input[name=code]", "WRONG-CODE")
    page.click("button[type=submit].primary")
    page.wait_for_selector("p.error")
    assert "访问码无效" in page.locator("p.error").inner_text()
    assert no_horizontal_scroll(page)
    shoot(page, "wrong-code-zh")
    click_and_follow(page, "button[name=lang][value=en]")
    page.fill("input[name=code]", "WRONG-CODE")
    page.click("button[type=submit].primary")
    page.wait_for_selector("p.error >> text=not valid")
    assert "not valid" in page.locator("p.error").inner_text()
    shoot(page, "wrong-code-en")


def test_follow_ups_appear_only_when_a_parent_is_away(live_server, phone, shoot):
    code = AccessCodeFactory().code
    page = phone()
    start_questionnaire(page, live_server.url, code, age=13)
    assert path_of(page) == "/q/parents_now/"
    page.locator("input[name=parent_away][value='0']").check()
    assert page.locator("#item-mother_away").is_hidden()
    page.locator("input[name=parent_away][value='1']").check()
    assert page.locator("#item-mother_away").is_visible()
    shoot(page, "follow-ups-shown")
