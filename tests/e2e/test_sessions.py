"""Sessions that end, in Chromium under the production settings: a revoked code, and a shared phone left idle."""

import datetime

import pytest
from django.utils import timezone

from scoring.instrument import default_instrument
from surveys.models import AccessCode, Response
from surveys.services_codes import access_code_reissue
from tests.e2e.conftest import csp_violations
from tests.e2e.questionnaire import answer_page, enter_code, give_assent, next_page, path_of
from tests.factories import AccessCodeFactory, RespondentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = [section.code for section in default_instrument().sections]


def test_a_revoked_codes_open_page_cannot_save_or_submit(production_server, phone, shoot):
    code = AccessCodeFactory()
    birth_year = timezone.localdate().year - 12
    page = phone()
    violations = csp_violations(page)
    enter_code(page, production_server, code.code)
    give_assent(page)
    for _ in SECTIONS:
        answer_page(page, birth_year=birth_year)
        next_page(page)
    assert path_of(page) == "/q/review/"
    review = page.context.new_page()  # a second tab on the review page, open before the code is revoked
    review.goto(production_server + "/q/review/")
    page.goto(production_server + f"/q/{SECTIONS[-1]}/")
    page.locator("fieldset.item input[type=radio]").first.check()
    saved_before = Response.objects.get(respondent=code.respondent).answers

    access_code_reissue(access_code=code)  # the teacher revokes the slip

    next_page(page)  # the open page tries to save
    assert path_of(page) == "/"
    assert "失效" in page.inner_text("main")
    shoot(page, "revoked-save")
    with review.expect_navigation():
        review.click("button[data-once]")  # and the other tab tries to submit
    review.wait_for_load_state()
    assert path_of(review) == "/"
    response = Response.objects.get(respondent=code.respondent)
    assert not response.is_submitted and response.answers == saved_before
    assert violations == []


def test_after_the_idle_limit_the_next_student_sees_none_of_the_previous_answers(production_server, phone, shoot):
    first = AccessCodeFactory()
    study = first.wave.study
    study.idle_limit = datetime.timedelta(seconds=3)
    study.save()
    second = AccessCodeFactory(wave=first.wave, respondent=RespondentFactory(study=study, school_class=first.respondent.school_class))
    page = phone()  # one shared phone
    violations = csp_violations(page)
    enter_code(page, production_server, first.code)
    give_assent(page)
    answer_page(page, birth_year=timezone.localdate().year - 12)
    next_page(page)
    answer_page(page)
    shoot(page, "first-student-second-page")
    page.wait_for_timeout(4500)  # the phone lies on the desk past the study's idle limit

    page.reload()
    assert path_of(page) == "/"
    assert "一段时间没有使用" in page.inner_text("main")
    shoot(page, "idle-back-to-code-page")
    enter_code(page, production_server, second.code)
    give_assent(page)
    assert path_of(page) == f"/q/{SECTIONS[0]}/"
    assert page.locator("input:checked").count() == 0
    assert all(not select.input_value() for select in page.locator("select").all())
    shoot(page, "second-student-clean-page")
    # Back through the history never shows the first student's page: it reloads as the second student's.
    for _ in range(6):
        if page.evaluate("() => history.length") <= 1:
            break
        page.go_back()
        page.wait_for_load_state()
        assert page.locator("input:checked").count() == 0, path_of(page)
    assert Response.objects.get(respondent=first.respondent).answers  # the first student's answers are kept
    assert AccessCode.objects.filter(pk=second.pk, revoked_at__isnull=True).exists()
    assert violations == []
