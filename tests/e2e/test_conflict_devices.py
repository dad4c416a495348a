"""Two phones on one code, a stale tab and a birth-year typo: nothing is lost, under the production settings."""

import pytest
from django.utils import timezone

from surveys.models import Response
from tests.e2e.conftest import csp_violations
from tests.e2e.questionnaire import answer_page, click_and_follow, enter_code, give_assent, next_page, path_of
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEP = [f"dep{i}" for i in range(1, 7)]


def started(production_server, phone, code: str, *, birth_year: int | None = None):
    """A phone on the code, past the first page (answered when ``birth_year`` is given)."""
    page = phone()
    enter_code(page, production_server, code)
    if path_of(page) == "/q/assent/":
        give_assent(page)
    if birth_year:
        answer_page(page, birth_year=birth_year)
        next_page(page)
    return page


def tick(page, **values) -> None:
    for code, value in values.items():
        page.locator(f"input[name={code}][value='{value}']").check()


def dep() -> list:
    answers = Response.objects.get().answers
    return [answers.get(code) for code in DEP]


def test_two_phones_change_the_same_page_conflict_shown_and_resolved(production_server, phone, shoot):
    code = AccessCodeFactory().code
    phone_a = started(production_server, phone, code, birth_year=timezone.localdate().year - 13)
    violations = csp_violations(phone_a)
    phone_b = started(production_server, phone, code)
    for page in (phone_a, phone_b):
        page.goto(production_server + "/q/depression/")
    tick(phone_b, **dict.fromkeys(DEP, 5))
    next_page(phone_b)
    tick(phone_a, dep1=3, dep2=5)  # dep1 differs from what phone B saved; dep2 is the same
    phone_a.click("button[name=next]")
    phone_a.wait_for_selector(".conflict-note")
    shoot(phone_a, "conflict")
    assert dep() == [5] * 6  # nothing lost, nothing overwritten
    note = phone_a.locator(".conflict-note").inner_text()
    assert "总是" in note and "有时" in phone_a.locator("#item-dep1 .conflict-note").inner_text()
    assert phone_a.locator("input[name=dep1][value='3']").is_checked()  # this phone's answer, ready to keep
    assert phone_a.locator("input[name=dep4][value='5']").is_checked()  # the others as saved

    tick(phone_a, dep1=3)  # the student keeps their own answer
    next_page(phone_a)
    assert path_of(phone_a) == "/q/family_resources/"
    assert dep() == [3, 5, 5, 5, 5, 5]
    assert violations == []


def test_a_stale_tab_sending_an_older_page_deletes_nothing(production_server, phone, shoot):
    code = AccessCodeFactory().code
    old_tab = started(production_server, phone, code, birth_year=timezone.localdate().year - 13)
    old_tab.goto(production_server + "/q/depression/")  # left open, nothing ticked
    new_tab = old_tab.context.new_page()  # the same phone, a second tab
    new_tab.goto(production_server + "/q/depression/")
    tick(new_tab, **dict.fromkeys(DEP, 4))
    next_page(new_tab)
    assert dep() == [4] * 6
    next_page(old_tab)  # the old tab sends its (empty) page again
    assert dep() == [4] * 6
    assert path_of(old_tab) == "/q/family_resources/"
    old_tab.go_back(wait_until="load")  # the page now shows what is saved
    assert all(old_tab.locator(f"input[name={code}][value='4']").is_checked() for code in DEP)
    shoot(old_tab, "stale-tab-back")


def test_a_birth_year_typo_corrected_brings_the_residence_answers_back(production_server, phone, shoot):
    code = AccessCodeFactory().code
    this_year = timezone.localdate().year
    page = started(production_server, phone, code, birth_year=this_year - 13)
    answer_page(page)
    next_page(page)
    assert path_of(page) == "/q/residence_history/" and page.locator("fieldset.year").count() == 12
    answer_page(page)
    next_page(page)
    assert sum(code.startswith("res_") for code in Response.objects.get().answers) == 36

    page.goto(production_server + "/q/about/")
    page.select_option("select[name=birth_year]", str(this_year - 7))  # the typo: age 7
    next_page(page)
    page.goto(production_server + "/q/residence_history/")
    assert page.locator("fieldset.year").count() == 8
    shoot(page, "typo-8-years")
    next_page(page)

    page.goto(production_server + "/q/about/")
    page.select_option("select[name=birth_year]", str(this_year - 13))  # corrected
    click_and_follow(page, "button[name=next]")
    page.goto(production_server + "/q/residence_history/")
    assert page.locator("fieldset.year").count() == 12
    assert page.locator("select[name=res_father_12]").input_value() == "2"
    shoot(page, "corrected-12-years")
    answers = Response.objects.get().answers
    assert [answers[f"res_father_{year:02d}"] for year in range(1, 13)] == [2] * 12
