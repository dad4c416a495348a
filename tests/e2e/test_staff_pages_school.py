"""The school's staff pages in Chromium under the production settings (the Content Security Policy on).

Every page: no policy violation, no wider than the window at 1,280 and 390 px. Withdrawing a
student and deleting a withdrawn student's answers ask first (cancel: nothing changes; confirm: done),
with the script and, without it, on a confirmation page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from safeguarding.models import Alert
from studies.models import Respondent, Role
from surveys.models import Response
from tests.factories import (
    AccessCodeFactory,
    MembershipFactory,
    RespondentFactory,
    ResponseFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudyFactory,
    UserFactory,
    WaveFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def school(transactional_db):
    study = StudyFactory(code="mig")
    wave = WaveFactory(study=study, code="2026-1")
    school = SchoolFactory(study=study, code="A", name="第一中学")
    school_class = SchoolClassFactory(school=school, code="7-1")
    kids = [
        RespondentFactory(school_class=school_class, seat_number=seat, display_name=f"学生{seat}", pid=f"A1-{seat:02d}")
        for seat in range(1, 15)
    ]
    now = timezone.now()
    for kid in kids[:13]:  # 13 of 14 submitted: 93 %
        ResponseFactory(respondent=kid, wave=wave, status=Response.Status.SUBMITTED, submitted_at=now)
    for kid in kids:
        AccessCodeFactory(respondent=kid, wave=wave)
    withdrawn = RespondentFactory(school_class=school_class, seat_number=20, display_name="退出", pid="A1-20",
                                  withdrawn_at=now)
    ResponseFactory(respondent=withdrawn, wave=wave, status=Response.Status.SUBMITTED, submitted_at=now)
    alert = Alert.objects.create(
        study=study, school=school, school_class=school_class, respondent=kids[0], wave=wave,
        rules=[{"rule": 1, "name": "depression score", "code": "dep", "threshold": 20}],
    )
    users = {
        "teacher": MembershipFactory(role=Role.TEACHER, school_class=school_class, user=UserFactory(username="teacher")).user,
        "counsellor": MembershipFactory(role=Role.COUNSELLOR, school=school, study=study,
                                        user=UserFactory(username="counsellor")).user,
        "study_admin": MembershipFactory(role=Role.STUDY_ADMIN, study=study, user=UserFactory(username="studyadmin")).user,
        "superuser": get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests"),
    }
    return {"study": study, "wave": wave, "school_class": school_class, "kids": kids, "withdrawn": withdrawn,
            "alert": alert, "users": users}




def test_teacher_pages(school, staff, shoot):
    teacher = staff(school["users"]["teacher"])
    c, w = school["school_class"].pk, school["wave"].pk
    teacher.visit(reverse("schools:dashboard"), expect="7-1")
    teacher.visit(reverse("schools:class_detail", args=[c]), expect="2026-1")
    teacher.visit(reverse("schools:roster", args=[c, w]), expect="学生14", shoot=shoot, step="roster")
    # the completion bar says what the number beside it says
    bar = teacher.desktop.locator("progress.completion-bar")
    assert bar.get_attribute("value") == "93" and "93%" in teacher.desktop.locator(".completion").inner_text()
    assert bar.evaluate("el => el.position") == pytest.approx(0.93)
    teacher.visit(reverse("schools:reminders", args=[c, w]), expect="学生14")
    teacher.visit(reverse("schools:slips", args=[c, w]), expect="学生1", shoot=shoot, step="slips")
    for page in (teacher.desktop, teacher.phone):  # the print buttons call the browser's print dialog
        page.goto(teacher.base + reverse("schools:slips", args=[c, w]))
        page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
        page.get_by_role("button", name="打印").click()
        assert page.evaluate("window.printed") == 1
    teacher.desktop.goto(teacher.base + reverse("schools:reminders", args=[c, w]))
    teacher.desktop.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    teacher.desktop.get_by_role("button", name="打印").click()
    assert teacher.desktop.evaluate("window.printed") == 1
    assert teacher.violations == {"desktop": [], "phone": []}


def _withdraw_form(page, kid):
    row = page.locator(f"tr[data-respondent='{kid.pk}']")
    if not row.locator("details").evaluate("d => d.open"):
        row.locator("summary").click()
    return row.locator("form[action$='/withdraw/'] button")


def test_withdraw_asks_first(school, staff, shoot):
    teacher = staff(school["users"]["teacher"])
    kid = school["kids"][5]
    roster = reverse("schools:roster", args=[school["school_class"].pk, school["wave"].pk]) + "?poll=600"
    page = teacher.desktop
    teacher.visit(roster)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    _withdraw_form(page, kid).click()
    page.wait_for_timeout(500)
    assert asked and "退出" in asked[0]
    kid.refresh_from_db()
    assert kid.withdrawn_at is None  # cancelled: nothing changed
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        _withdraw_form(page, kid).click()
    kid.refresh_from_db()
    assert len(asked) == 2 and kid.withdrawn_at is not None  # confirmed: done
    shoot(page, "withdrawn")
    assert teacher.violations["desktop"] == []


def test_withdraw_without_the_script_asks_on_a_page(school, staff, browser, production_server):
    from tests.e2e.staff import sign_in

    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="zh-CN")
    sign_in(context, production_server, school["users"]["teacher"])
    page = context.new_page()
    kid = school["kids"][6]
    page.goto(production_server + reverse("schools:roster", args=[school["school_class"].pk, school["wave"].pk]))
    _withdraw_form(page, kid).click()
    page.wait_for_load_state()
    assert page.locator("[data-confirm-page]").count() == 1
    kid.refresh_from_db()
    assert kid.withdrawn_at is None  # one click asked, changed nothing
    page.locator("[data-confirm-page] a").click()
    page.wait_for_load_state()
    kid.refresh_from_db()
    assert kid.withdrawn_at is None and page.url.endswith(reverse("schools:roster", args=[school["school_class"].pk, school["wave"].pk]))
    _withdraw_form(page, kid).click()
    page.wait_for_load_state()
    page.locator("[data-confirm-page] button").click()
    page.wait_for_load_state()
    kid.refresh_from_db()
    assert kid.withdrawn_at is not None
    context.close()


def test_counsellor_pages(school, staff, shoot):
    counsellor = staff(school["users"]["counsellor"])
    counsellor.visit(reverse("schools:alert_list"), expect="学生1", shoot=shoot, step="alerts")
    counsellor.visit(reverse("schools:alert_detail", args=[school["alert"].pk]), expect="学生1", shoot=shoot,
                     step="alert")


def test_study_admin_pages_and_delete_asks_first(school, staff, shoot):
    admin = staff(school["users"]["study_admin"])
    study, withdrawn = school["study"], school["withdrawn"]
    url = reverse("schools:withdrawn", args=[study.pk])
    admin.visit(url, expect=withdrawn.pid, shoot=shoot, step="withdrawn")
    admin.visit(reverse("schools:audit"))
    admin.visit(reverse("schools:respondent_search", args=[study.pk]))
    page = admin.desktop
    page.goto(admin.base + url)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator(f"li[data-pid='{withdrawn.pid}']").get_by_role("button").click()
    page.wait_for_timeout(500)
    assert asked
    assert Response.objects.filter(respondent=withdrawn).count() == 1  # cancelled: nothing deleted
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.locator(f"li[data-pid='{withdrawn.pid}']").get_by_role("button").click()
    assert len(asked) == 2 and not Response.objects.filter(respondent=withdrawn).exists()
    assert Respondent.objects.filter(pk=withdrawn.pk).exists()
    assert admin.violations["desktop"] == []


def test_admin_pages(school, staff):
    root = staff(school["users"]["superuser"])
    root.visit("/admin/", expect="/admin/safeguarding/alert/")
    root.visit("/admin/safeguarding/alert/")
    root.visit(f"/admin/studies/study/{school['study'].pk}/change/")
