"""Back and Forward move between sections like web pages, under the production settings, with the script on."""

import pytest
from django.utils import timezone

from scoring.instrument import default_instrument
from surveys.models import Response
from surveys.services import response_save_page
from tests.e2e.conftest import csp_violations
from tests.e2e.questionnaire import answer_page, click_and_follow, enter_code, give_assent, next_page, path_of
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = [section.code for section in default_instrument().sections]


def go(page, direction: str) -> None:
    getattr(page, f"go_{direction}")(wait_until="load")


def test_back_and_forward_through_three_sections_and_from_the_done_page(production_server, phone, shoot):
    code = AccessCodeFactory().code
    birth_year = timezone.localdate().year - 12
    page = phone()
    violations = csp_violations(page)
    enter_code(page, production_server, code)
    give_assent(page)
    first, second, third = SECTIONS[:3]
    answer_page(page, birth_year=birth_year)
    next_page(page)
    answer_page(page)
    next_page(page)
    assert path_of(page) == f"/q/{third}/"

    # meanwhile another device changes an answer of the second page: Back must show it, not a cached form
    response = Response.objects.get()
    contact = response.answers["contact_freq"]
    other = 1 if contact != 1 else 2
    response_save_page(
        response_id=response.pk, section=second, answers={"contact_freq": other}, shown={"contact_freq": contact},
        lang="zh-hans", next_section=third,
    )

    go(page, "back")
    assert path_of(page) == f"/q/{second}/"
    assert page.locator("input[name=parent_away][value='1']").is_checked()
    assert page.locator(f"input[name=contact_freq][value='{other}']").is_checked()
    shoot(page, "back-to-second")
    go(page, "back")
    assert path_of(page) == f"/q/{first}/"
    assert page.locator("select[name=birth_year]").input_value() == str(birth_year)
    go(page, "forward")
    assert path_of(page) == f"/q/{second}/"
    go(page, "forward")
    assert path_of(page) == f"/q/{third}/"
    assert page.locator("fieldset.year").count() == 12

    # the Back button of the page form: one more history entry, as a link would make
    click_and_follow(page, "button[name=back]")
    assert path_of(page) == f"/q/{second}/"
    go(page, "back")
    assert path_of(page) == f"/q/{third}/"

    page.goto(production_server + "/q/review/")
    with page.expect_navigation(url="**/q/done/"):
        page.click("button[data-once]")
    shoot(page, "done")
    go(page, "back")  # Back from the done page stays on it
    assert path_of(page) == "/q/done/"
    assert page.locator("p.receipt").count() == 1
    shoot(page, "back-from-done")
    assert Response.objects.get().is_submitted
    assert violations == []


def test_stop_for_now_confirms_with_the_script_on(production_server, phone):
    page = phone()
    enter_code(page, production_server, AccessCodeFactory().code)
    give_assent(page)
    click_and_follow(page, "form.stop button")
    assert path_of(page) == "/"
    assert page.locator("p.notice").count() == 1 and "停止" in page.locator("p.notice").inner_text()


def test_switching_language_keeps_the_ticked_answers(production_server, phone):
    page = phone()
    enter_code(page, production_server, AccessCodeFactory().code)
    give_assent(page)
    page.locator("input[name=gender][value='2']").check()
    click_and_follow(page, "header button[name=lang]")
    assert path_of(page) == f"/q/{SECTIONS[0]}/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("input[name=gender][value='2']").is_checked()
