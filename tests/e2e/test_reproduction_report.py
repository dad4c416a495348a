"""The reproduction report of a run on a synthetic Study A cohort of 8,453, in Chromium, in both languages.

Screenshots: ``test-artifacts/e2e/test_reproduction_report_of_a_synthetic_cohort_of_8453/``.
"""

import pytest
from django.test import Client

from tests.analysis.reproduction_run import stored_run
from tests.factories import MembershipFactory, UserFactory, WaveFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COHORT = 8453
DESKTOP = {"width": 1280, "height": 900}


def test_reproduction_report_of_a_synthetic_cohort_of_8453(live_server, browser, shoot):
    run = stored_run(WaveFactory(study__code="A", code="2021-01"), COHORT)
    researcher = MembershipFactory(user=UserFactory(username="res-e2e"), role="researcher", study=run.wave.study).user
    session = Client()
    session.force_login(researcher)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/research/analysis/runs/{run.pk}/")
        page.click("text=复现报告")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("复现报告")
        rows = page.locator("table.repro tbody tr")
        assert rows.count() >= 50
        assert page.locator("table.repro").first.locator("tbody tr").first.locator("td").nth(1).inner_text() != "–"
        shoot(page, "zh-hans")
        page.click("a.lang-link >> text=English")
        page.wait_for_load_state()
        assert "Reproduction report" in page.locator("h1").inner_text()
        assert "-0.054 (0.021)" in page.locator("table.repro").nth(1).inner_text()  # Model 1, migration
        shoot(page, "en")
        with page.expect_download() as download:
            page.click("text=PDF (English)")
        assert download.value.suggested_filename == f"run-{run.pk}-reproduction-en.pdf"
    finally:
        context.close()
