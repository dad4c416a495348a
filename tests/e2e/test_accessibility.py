"""axe-core on every student page, at 360x640 and 390x844, in both languages, under the production settings.

axe-core (MPL-2.0) is vendored unmodified from the npm package, with its
licence, in ``tests/e2e/vendor/axe-core/`` and injected by Playwright (not
through the page, so the Content Security Policy stays as in production). No
violation of impact serious or critical is allowed, and every tap target
(buttons, links, selects, text inputs, and the labels around radios and
checkboxes) measures at least 44 x 44 CSS px. The full report is kept in
``test-artifacts/accessibility/axe-report.json``.
"""

import json
from pathlib import Path

import pytest
from django.utils import timezone

from scoring.instrument import default_instrument
from studies.models import Role
from tests.e2e.conftest import ARTIFACTS, csp_violations
from tests.e2e.questionnaire import answer_page, click_and_follow, give_assent, next_page, path_of
from tests.factories import (
    AccessCodeFactory,
    MembershipFactory,
    RespondentFactory,
    SafeguardingRuleFactory,
    SchoolClassFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
REPORT = ARTIFACTS.parent / "accessibility"
SECTIONS = [section.code for section in default_instrument().sections]
VIEWPORTS = [{"width": 360, "height": 640}, {"width": 390, "height": 844}]
BLOCKING = {"serious", "critical"}
MIN_TARGET = 44

TAP_TARGETS = """() => {
  const small = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const targets = new Set();
  document.querySelectorAll('button, a[href], select, textarea, input').forEach((el) => {
    if (el.type === 'hidden') return;
    if (el.type === 'radio' || el.type === 'checkbox') { targets.add(el.closest('label') || el); return; }
    targets.add(el);
  });
  targets.forEach((el) => {
    if (!visible(el)) return;
    const r = el.getBoundingClientRect();
    if (r.width < %d || r.height < %d) {
      small.push({html: el.outerHTML.slice(0, 160), width: Math.round(r.width), height: Math.round(r.height)});
    }
  });
  return small;
}""" % (MIN_TARGET, MIN_TARGET)  # noqa: UP031  (JavaScript: its braces would need doubling in a format string)


def _audit(page, name: str, report: list) -> None:
    page.wait_for_load_state()
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [{"target": node["target"], "html": node["html"][:200]} for node in violation["nodes"]],
        }
        for violation in result["violations"]
    ]
    report.append(
        {
            "page": name,
            "path": path_of(page),
            "lang": page.evaluate("() => document.documentElement.lang"),
            "viewport": page.viewport_size,
            "violations": violations,
            "small_tap_targets": page.evaluate(TAP_TARGETS),
            "axe_version": result["testEngine"]["version"],
        }
    )


def _wait_for_rewrite(page, selector: str, action) -> None:
    """Refusals come back as a page the script writes in place (no navigation): wait for it."""
    page.evaluate("() => { document.body.dataset.old = '1'; }")
    action()
    page.wait_for_function(f"() => !document.body.dataset.old && document.querySelector({selector!r})")


def _world():
    school_class = SchoolClassFactory()
    study = school_class.school.study
    MembershipFactory(role=Role.COUNSELLOR, school=school_class.school, study=study, user=UserFactory(first_name="李老师"))
    SafeguardingRuleFactory(study=study, name="dep5", source="answer", code="dep5", threshold=5)
    study.help_resources, study.help_resources_en = "希望24热线：400-161-9995", "Hope 24 hotline: 400-161-9995"
    study.save()
    return [
        AccessCodeFactory(respondent=RespondentFactory(study=study, school_class=school_class)).code
        for _ in range(len(VIEWPORTS) * 2)
    ]


def _walk(page, base: str, code: str, lang: str, report: list, label: str) -> None:
    page.goto(base + "/")
    if lang == "en":
        click_and_follow(page, "form.lang button[value=en]")
    _audit(page, f"{label} entry", report)
    page.fill("input[name=code]", "WWWW-WWWW")
    _wait_for_rewrite(page, "p.error", lambda: page.click("button[type=submit].primary"))
    _audit(page, f"{label} entry, wrong code", report)
    page.fill("input[name=code]", code)
    click_and_follow(page, "button[type=submit].primary")
    assert path_of(page) == "/q/assent/"
    _audit(page, f"{label} assent", report)
    click_and_follow(page, "form.stop button")
    _audit(page, f"{label} stopped", report)
    page.goto(base + "/?ended=idle")
    _audit(page, f"{label} session ended", report)
    page.fill("input[name=code]", code)
    click_and_follow(page, "button[type=submit].primary")
    give_assent(page)
    for section in SECTIONS:
        assert path_of(page) == f"/q/{section}/"
        _audit(page, f"{label} {section}", report)
        if section == SECTIONS[0]:
            _wait_for_rewrite(page, "p.error", lambda: page.click("button[name=next]"))
            _audit(page, f"{label} {section}, errors", report)
        answer_page(page, birth_year=timezone.localdate().year - 12)
        if section == "depression":
            page.locator("input[name=dep5][value='5']").check()
        next_page(page)
    assert path_of(page) == "/q/review/"
    _audit(page, f"{label} review", report)
    with page.expect_navigation(url="**/q/done/"):
        page.click("button[data-once]")
    page.wait_for_selector("#help")
    _audit(page, f"{label} done, help", report)


def test_every_student_page_passes_axe_and_tap_targets(production_server, phone, shoot):
    codes = iter(_world())
    report: list[dict] = []
    for viewport in VIEWPORTS:
        for lang in ("zh-hans", "en"):
            page = phone(viewport=viewport)
            page.add_init_script(AXE)  # in every document, outside the page's policy
            violations = csp_violations(page)
            _walk(page, production_server, next(codes), lang, report, f"{viewport['width']}x{viewport['height']} {lang}")
            shoot(page, f"help-{viewport['width']}-{lang}")
            assert violations == []
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "axe-report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    assert len(report) == len(VIEWPORTS) * 2 * (len(SECTIONS) + 8)
    assert {entry["lang"] for entry in report} == {"zh-hans", "en"}
    blocking = [
        (entry["page"], violation["id"], violation["impact"], violation["nodes"][:2])
        for entry in report
        for violation in entry["violations"]
        if violation["impact"] in BLOCKING
    ]
    assert blocking == [], json.dumps(blocking, ensure_ascii=False, indent=1)
    small = [(entry["page"], target) for entry in report for target in entry["small_tap_targets"]]
    assert small == [], json.dumps(small[:20], ensure_ascii=False, indent=1)
