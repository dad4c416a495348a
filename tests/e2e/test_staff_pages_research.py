"""The researchers' pages in Chromium under the production settings: exports, analysis runs, the
report and its plots, the API documentation. No policy violation, no page wider than the window at
1,280 and 390 px; screenshots of the report and its plots in Chinese at both widths."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from analysis.models import AnalysisRun
from studies.models import Role, Wave
from tests.e2e.staff import page_width
from tests.factories import MembershipFactory, UserFactory
from tests.paths import REFERENCE_DIR

pytestmark = pytest.mark.e2e




@pytest.fixture
def analysed(transactional_db):
    """cohort_1500 imported as study A and analysed once (the real pipeline); a researcher of study A."""
    call_command("import_responses", str(REFERENCE_DIR / "cohort_1500.csv"), study="A", wave="2021-01")
    call_command("run_analysis", wave="2021-01", study="A")
    wave = Wave.objects.select_related("study").get(study__code="A", code="2021-01")
    researcher = MembershipFactory(role=Role.RESEARCHER, study=wave.study, user=UserFactory(username="researcher")).user
    return {"wave": wave, "run": AnalysisRun.objects.get(wave=wave), "researcher": researcher}


def test_research_pages(analysed, staff, shoot):
    staff = staff(analysed["researcher"])
    wave, run = analysed["wave"], analysed["run"]
    staff.visit(reverse("exports:waves"), expect="2021-01")
    staff.visit(reverse("exports:form", args=[wave.pk]), expect="2021-01", shoot=shoot, step="export-form")
    for page in (staff.desktop, staff.phone):  # each checkbox sits at the start of its label's first line
        placed = page.evaluate(
            """() => [...document.querySelectorAll('.export-form input[type=checkbox]')].map(box => {
                const label = box.closest('label') || box.labels[0];
                const b = box.getBoundingClientRect(), l = label.getBoundingClientRect();
                return {id: box.id, beside: Math.abs(b.top - l.top) < b.height && b.left - l.left < 8 && l.width > 3 * b.width};
            })"""
        )
        assert len(placed) >= 7 and all(box["beside"] for box in placed), placed
    staff.visit(reverse("exports:downloads"))
    staff.visit(reverse("analysis:run_list"), expect=f"#{run.pk}", shoot=shoot, step="runs")
    staff.visit(reverse("analysis:run_report", args=[run.pk]), expect="双亲外出留守", shoot=shoot, step="report")
    for page in (staff.desktop, staff.phone):  # every plot is drawn (no broken image) and fits
        page.goto(staff.base + reverse("analysis:run_report", args=[run.pk]), wait_until="networkidle")
        images = page.locator(".plots img")
        assert images.count() >= 3
        for i in range(images.count()):
            images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(  # drawn on the server (matplotlib) on first request: give it time
            "() => [...document.querySelectorAll('.plots img')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=240_000, polling=1000,
        )
        viewport = "desktop" if page is staff.desktop else "phone"
        folder = shoot(page, f"report-with-plots-{viewport}").parent
        for i in range(images.count()):  # each plot as drawn in the report (zh-hans), at this width
            figure = page.locator(".plots figure").nth(i)
            name = figure.locator("img").get_attribute("src").rstrip("/").rsplit("/", 1)[-1]
            figure.screenshot(path=str(folder / f"plot-{name}-{viewport}.png"))
        assert page_width(page)["document"] <= page_width(page)["viewport"]
    assert staff.violations == {"desktop": [], "phone": []}


def test_api_docs(transactional_db, staff, shoot):
    researcher = MembershipFactory(role=Role.RESEARCHER, user=UserFactory(username="researcher")).user
    staff = staff(researcher)
    staff.visit("/api/v1/docs/")
    for name, page in staff.pages.items():  # the start-up script (a file) ran and drew the operations
        page.wait_for_selector(".swagger-ui .opblock", timeout=90_000)
        assert page.locator(".swagger-ui .opblock").count() > 10
        shoot(page, f"swagger-{name}")
    staff.desktop.goto(staff.base + "/api/v1/redoc/")  # Redoc needs inline styles: its address leads to Swagger UI
    assert staff.desktop.url.endswith("/api/v1/docs/")
    staff.desktop.wait_for_selector(".swagger-ui .opblock", timeout=90_000)
    assert staff.violations == {"desktop": [], "phone": []}
