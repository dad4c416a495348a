"""Offline from page 2 to the submission, with the browser closed and opened again: one submission, every answer."""

import pytest

from safeguarding.models import Alert
from scoring.instrument import default_instrument
from surveys.models import AnswerChange, Response, Score
from tests.e2e.conftest import csp_violations
from tests.e2e.offline import open_persistent_phone, stored_on_phone, wait_until_kept
from tests.e2e.questionnaire import answer_page, click_and_follow, next_page, page_kept, path_of, start_questionnaire
from tests.factories import AccessCodeFactory, SafeguardingRuleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INSTRUMENT = default_instrument()
SECTIONS = [section.code for section in INSTRUMENT.sections]


def test_answer_offline_close_reopen_submit_offline_then_online(network, browser, tmp_path, shoot):
    access_code = AccessCodeFactory()
    SafeguardingRuleFactory(study=access_code.wave.study, name="dep5", source="answer", code="dep5", threshold=5)
    profile = tmp_path / "phone-profile"
    context, page = open_persistent_phone(browser, profile)
    violations = csp_violations(page)
    start_questionnaire(page, network.url, access_code.code, age=13)
    assert path_of(page) == f"/q/{SECTIONS[1]}/"
    wait_until_kept(page)

    network.off(context)  # the network goes on page 2
    page.click("button[name=next]")  # validation without the server: the question a follow-up depends on
    error = page.locator("#item-parent_away .error")
    assert "请回答这道题" in error.inner_text() and path_of(page) == "/q/parents_now/"
    page.locator("input[name=parent_away][value='0']").check()  # skip logic: no parent away, no follow-ups
    assert page.locator("#item-mother_away").is_hidden()
    page.locator("input[name=parent_away][value='1']").check()
    assert page.locator("#item-mother_away").is_visible()
    shoot(page, "offline-validation")
    half = 4
    for section in SECTIONS[1:half]:
        assert path_of(page) == f"/q/{section}/"
        answer_page(page)
        if section == "rsca":  # the language switch, offline: the page in English, its answers kept
            click_and_follow(page, "button[name=lang]")
            assert path_of(page) == "/q/rsca/" and page.locator("html").get_attribute("lang") == "en"
            assert page.locator("input[name=rsca01]:checked").count() == 1
            shoot(page, "offline-english")
        assert page.locator("#sync-status").get_attribute("data-state") == "local"
        shoot(page, f"offline-{section}")
        next_page(page)
    context.close()  # the browser is closed, still offline

    context, page = open_persistent_phone(browser, profile, offline=True)
    page.goto(network.url + f"/q/{SECTIONS[half]}/")
    page_kept(page)
    for section in SECTIONS[half:]:
        assert path_of(page) == f"/q/{section}/"
        answer_page(page)
        if section == "depression":
            page.locator("input[name=dep5][value='5']").check()
        next_page(page)
    assert path_of(page) == "/q/review/"
    counts = page.locator(".summary .count").all_inner_texts()
    assert len(counts) == len(SECTIONS)
    shoot(page, "offline-review")

    page.click("button[data-once]")  # submitted offline: kept on the phone
    page.wait_for_selector(".queued")
    shoot(page, "offline-submitted")
    assert Response.objects.get().is_submitted is False

    with page.expect_navigation(url="**/q/done/**", timeout=30_000):
        network.on(context)  # the network returns
    page.wait_for_selector("#help")
    assert "answers have been received" in page.inner_text("main")  # still in English
    shoot(page, "online-done")

    response = Response.objects.get()
    assert response.is_submitted
    asked = [code for section in INSTRUMENT.sections for code in section.items if INSTRUMENT[code].is_asked(response.answers, 13)]
    assert [code for code in asked if code not in response.answers and not code.startswith("res_")] == []
    assert sum(code.startswith("res_") for code in response.answers) == 36
    assert response.answers["dep5"] == 5
    assert Score.objects.filter(response=response).count() == 1
    assert Alert.objects.filter(respondent=response.respondent).count() == 1
    changed = list(AnswerChange.objects.filter(response=response).values_list("code", flat=True))
    assert len(changed) == len(set(changed))  # every answer written once
    held = stored_on_phone(page)
    assert [name for name in held["databases"] if name.startswith("q-")] == []
    assert [name for name in held["caches"] if name.startswith("q-pages-")] == []
    assert violations == []
    context.close()
