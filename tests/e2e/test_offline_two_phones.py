"""Two phones on one code, one offline and one online: no answer lost, the conflict shown on the offline one."""

import pytest

from surveys.models import Response
from tests.e2e.conftest import csp_violations
from tests.e2e.offline import started_and_kept
from tests.e2e.questionnaire import answer_page, enter_code, next_page, path_of
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEP = [f"dep{i}" for i in range(1, 7)]


def tick(page, **values) -> None:
    for code, value in values.items():
        page.locator(f"input[name={code}][value='{value}']").check()


def test_offline_phone_meets_an_online_change_conflict_shown_nothing_lost(network, production_server, phone, shoot):
    code = AccessCodeFactory().code
    offline_phone = phone()
    violations = csp_violations(offline_phone)
    started_and_kept(offline_phone, network.url, code, age=13)
    online_phone = phone()  # the same code on another phone, with the network (not behind the cut relay)
    enter_code(online_phone, production_server, code)

    network.off(offline_phone.context)
    for section in ("parents_now", "residence_history", "rsca"):
        assert path_of(offline_phone) == f"/q/{section}/"
        answer_page(offline_phone)
        next_page(offline_phone)
    tick(offline_phone, **dict.fromkeys(DEP, 3))
    next_page(offline_phone)  # kept on the offline phone
    assert path_of(offline_phone) == "/q/family_resources/"

    online_phone.goto(production_server + "/q/depression/")
    tick(online_phone, **dict.fromkeys(DEP, 5))
    next_page(online_phone)
    assert [Response.objects.get().answers.get(c) for c in DEP] == [5] * 6

    network.on(offline_phone.context)  # the queue is sent: the depression page meets the other phone's answers
    offline_phone.wait_for_selector("#conflicts-elsewhere", timeout=30_000)
    shoot(offline_phone, "conflict-elsewhere")
    answers = Response.objects.get().answers
    assert [answers.get(c) for c in DEP] == [5] * 6  # nothing overwritten
    assert sum(c.startswith("res_") for c in answers) == 36 and answers.get("rsca01") is not None  # nothing lost

    with offline_phone.expect_navigation():
        offline_phone.click("#conflicts-elsewhere a")
    assert path_of(offline_phone) == "/q/depression/"
    offline_phone.wait_for_selector(".conflict-note")
    shoot(offline_phone, "conflict")
    note = offline_phone.locator("#item-dep1 .conflict-note").inner_text()
    assert "总是" in note and "有时" in note  # the saved answer (5) and this phone's (3)
    assert offline_phone.locator("input[name=dep1][value='3']").is_checked()  # this phone's answer, ready to keep
    tick(offline_phone, dep2=5)  # for dep2 the student takes the other phone's answer
    next_page(offline_phone)
    assert path_of(offline_phone) == "/q/family_resources/"
    assert [Response.objects.get().answers.get(c) for c in DEP] == [3, 5, 3, 3, 3, 3]
    assert violations == []
