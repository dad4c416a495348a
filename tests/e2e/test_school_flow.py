"""A teacher prints codes, a student answers one and reports distress, the counsellor and the roster see it.

Headless Chromium at a phone's width for everyone (teachers use phones too); screenshots are kept in
``test-artifacts/e2e/test_teacher_codes_student_distress_counsellor_alert/``.
"""

import re

import pytest
from django.utils import timezone

from safeguarding.models import Alert
from scoring.instrument import default_instrument
from studies.models import Role
from tests.e2e.questionnaire import answer_page, enter_code, give_assent, next_page, no_horizontal_scroll, path_of
from tests.factories import (
    MembershipFactory,
    RespondentFactory,
    SafeguardingRuleFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudyFactory,
    UserFactory,
    WaveFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = [section.code for section in default_instrument().sections]
PASSWORD = "pw-for-tests"


def sign_in(page, base_url, username, next_path):
    """Password, then (for the roles that need one) the current code of the user's authenticator app."""
    from django.contrib.auth import get_user_model

    from studies.scoping import second_factor_required
    from tests.factories import totp_device, totp_now

    user = get_user_model().objects.get(username=username)
    device = totp_device(user) if second_factor_required(user) else None
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    if device is not None:
        assert "/accounts/two-factor/verify/" in page.url
        page.fill("input[name=token]", totp_now(device))
        page.click("button[type=submit].primary")
        page.wait_for_load_state()


def test_teacher_codes_student_distress_counsellor_alert(live_server, phone, shoot, monkeypatch, mailoutbox):
    from safeguarding.tasks import alert_notify_task

    monkeypatch.setattr(alert_notify_task, "delay", lambda alert_id: alert_notify_task.apply(args=[alert_id]))
    study = StudyFactory(code="e2e", name="留守儿童研究", help_resources="希望24热线：400-161-9995")
    WaveFactory(study=study, code="2026-秋")
    school = SchoolFactory(study=study, code="S1", name="第一中学")
    school_class = SchoolClassFactory(school=school, code="7-3", name="七年级3班")
    for seat, name in [(1, "小明"), (2, "小红"), (3, "小刚")]:
        RespondentFactory(school_class=school_class, seat_number=seat, display_name=name)
    MembershipFactory(role=Role.TEACHER, school_class=school_class, user=UserFactory(username="teacher"))
    MembershipFactory(role=Role.COUNSELLOR, school=school, study=study, user=UserFactory(username="counsellor", first_name="李老师"))
    SafeguardingRuleFactory(study=study, name="绝望感：总是", source="answer", code="dep5", threshold=5)

    # The teacher generates the class's codes for the wave and prints the slips.
    teacher = phone()
    sign_in(teacher, live_server.url, "teacher", f"/school/classes/{school_class.pk}/")
    shoot(teacher, "teacher-class")
    teacher.click("button[data-start-wave]")
    teacher.wait_for_load_state()
    assert "/waves/" in path_of(teacher)
    assert teacher.locator("tbody tr").count() == 3
    assert no_horizontal_scroll(teacher)
    shoot(teacher, "teacher-roster-before")
    teacher.goto(teacher.url.split("?")[0] + "slips/")
    codes = [text.strip() for text in teacher.locator("[data-code]").all_inner_texts()]
    assert len(codes) == 3 and all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code) for code in codes)
    shoot(teacher, "teacher-slips")
    pdf = teacher.request.get(teacher.url.replace("slips/", "slips.pdf"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    teacher.go_back()
    teacher.goto(teacher.url.split("slips/")[0] + "?poll=1")  # the roster, refreshed every second
    assert teacher.locator("[data-completion]").get_attribute("data-completion") == "0"

    # A student answers with the first code and says they always feel hopeless.
    student = phone()
    enter_code(student, live_server.url, codes[0].replace("-", ""))
    give_assent(student)
    for section in SECTIONS:
        assert path_of(student) == f"/q/{section}/"
        answer_page(student, birth_year=timezone.localdate().year - 13)
        if section == "depression":
            student.locator("input[name=dep5][value='5']").check()
        next_page(student)
    assert path_of(student) == "/q/review/"
    student.click("button[data-once]")
    student.wait_for_url("**/q/done/")
    help_box = student.locator("#help")
    assert help_box.is_visible()
    assert "400-161-9995" in help_box.inner_text() and "李老师" in help_box.inner_text()
    assert no_horizontal_scroll(student)
    shoot(student, "student-help")

    # The teacher's roster updates without a reload: 1 of 3 submitted.
    teacher.wait_for_selector("[data-completion='33']", timeout=10_000)
    assert teacher.locator("tr[data-seat='1'] [data-status]").get_attribute("data-status") == "submitted"
    assert teacher.locator("[data-count=submitted]").inner_text() == "1"
    assert no_horizontal_scroll(teacher)
    assert teacher.locator("[data-follow-up]").count() == 0  # the study does not show distress to teachers
    shoot(teacher, "teacher-roster-after")
    desktop = phone(viewport={"width": 1280, "height": 800})
    desktop.context.add_cookies(teacher.context.cookies())
    desktop.goto(teacher.url)
    assert desktop.locator("[data-completion]").get_attribute("data-completion") == "33"
    shoot(desktop, "teacher-roster-desktop")

    # The counsellor's queue shows the alert with the child's name and class.
    counsellor = phone()
    sign_in(counsellor, live_server.url, "counsellor", "/school/alerts/")
    item = counsellor.locator("li.alert").first
    assert "小明" in item.inner_text() and "七年级3班" in item.inner_text()
    assert no_horizontal_scroll(counsellor)
    shoot(counsellor, "counsellor-queue")
    item.locator("a").click()
    counsellor.wait_for_load_state()
    counsellor.click("text=确认收到" if counsellor.locator("text=确认收到").count() else "form[action$='acknowledge/'] button")
    counsellor.wait_for_load_state()
    shoot(counsellor, "counsellor-alert")
    assert Alert.objects.get().status == Alert.Status.ACKNOWLEDGED
    assert [message.to for message in mailoutbox] == [["counsellor@school.example"]]
