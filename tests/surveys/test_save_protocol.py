"""Saving a page applies only what the student changed on it; answers changed elsewhere meanwhile are a conflict."""

import pytest
from django.urls import reverse

from surveys.models import AnswerChange, Response
from tests.surveys.answers import page_answers
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db

DEP = [f"dep{i}" for i in range(1, 7)]


@pytest.fixture
def two_devices(access_code):
    first = Device(access_code.code, start=True)
    first.answer("about")
    return first, Device(access_code.code)


def stored() -> dict:
    return Response.objects.get().answers


def test_a_stale_tab_sending_an_older_page_deletes_nothing(two_devices):
    tab_a, tab_b = two_devices
    tab_a.load("depression")  # shown: nothing answered yet
    tab_b.load("depression")
    assert tab_b.send("depression", dict.fromkeys(DEP, 5)).status_code == 302
    reply = tab_a.send("depression", {"dep1": 3})  # the old tab: only dep1 ticked
    assert [stored()[code] for code in DEP] == [5] * 6  # dep5, watched by a safeguarding rule, is kept
    assert reply.status_code == 409  # dep1 differs on both devices: shown, not overwritten


def test_two_devices_changing_one_answer_see_both_and_choose(two_devices):
    tab_a, tab_b = two_devices
    tab_a.load("depression")
    tab_b.load("depression")
    tab_b.send("depression", {"dep1": 5, "dep2": 2})
    reply = tab_a.send("depression", {"dep1": 3, "dep3": 4})
    page = reply.content.decode()
    assert reply.status_code == 409
    assert "总是" in page and "有时" in page  # the saved answer (5, always) and this page's (3, sometimes), in Chinese
    assert page.count('class="conflict-note"') == 1
    assert stored() == {**stored(), "dep1": 5, "dep2": 2, "dep3": 4}  # the answers without a conflict are saved
    # the page shown again carries the choice of this device, based on what is stored now
    assert 'value="3" id="id_dep1_2" checked' in page
    assert tab_a.send("depression", {"dep1": 3, "dep2": 2, "dep3": 4}).status_code == 302
    assert stored()["dep1"] == 3


def test_choosing_the_saved_answer_keeps_it(two_devices):
    tab_a, tab_b = two_devices
    tab_a.load("depression")
    tab_b.load("depression")
    tab_b.send("depression", {"dep1": 5})
    assert tab_a.send("depression", {"dep1": 3}).status_code == 409
    assert tab_a.send("depression", {"dep1": 5}).status_code == 302
    assert stored()["dep1"] == 5
    assert list(AnswerChange.objects.filter(code="dep1").values_list("new_value", flat=True)) == [5]


def test_the_conflict_page_speaks_the_students_language(two_devices):
    tab_a, tab_b = two_devices
    tab_a.client.post(reverse("surveys:set_language"), {"lang": "en", "next": "/"})
    tab_a.load("depression")
    tab_b.load("depression")
    tab_b.send("depression", {"dep1": 5})
    page = tab_a.send("depression", {"dep1": 3}).content.decode()
    assert "Saved from another device: <strong>Always</strong>" in page
    assert "Your answer on this page: <strong>Sometimes</strong>" in page


def test_a_page_sent_again_changes_nothing_more(access_code):
    device = Device(access_code.code, start=True)
    device.answer("about")
    device.load("depression")
    device.send("depression", dict.fromkeys(DEP, 2))
    revision, rows = Response.objects.get().revision, AnswerChange.objects.count()
    assert device.send("depression", dict.fromkeys(DEP, 2)).status_code == 302  # a retry of the same page
    assert (Response.objects.get().revision, AnswerChange.objects.count()) == (revision, rows)


def test_clearing_an_answer_shown_on_the_page_clears_it(access_code):
    device = Device(access_code.code, start=True)
    device.answer("about")
    device.answer("parents_now", parent_away=1)
    assert "mother_away" in stored()
    device.load("parents_now")
    device.send("parents_now", {**page_answers("parents_now"), "parent_away": 0})  # the follow-ups no longer apply
    assert "mother_away" not in stored() and "father_away" not in stored()


def test_a_stale_page_does_not_move_the_resume_point_back(two_devices):
    tab_a, tab_b = two_devices
    tab_a.load("parents_now")
    tab_b.answer("parents_now")
    tab_b.answer("residence_history")
    tab_b.answer("rsca")
    assert Response.objects.get().current_section == "depression"
    tab_a.send("parents_now", page_answers("parents_now"))
    assert Response.objects.get().current_section == "depression"


def test_a_page_sent_after_submission_says_so(access_code):
    device = Device(access_code.code, start=True)
    device.answer("about")
    device.load("depression")
    other = Device(access_code.code)
    other.client.post(reverse("surveys:review"), {"submission_key": "k"})
    before = stored()
    reply = device.send("depression", dict.fromkeys(DEP, 4))
    assert reply.url == reverse("surveys:done")
    assert "你的答案已经提交，所以这一页没有保存。" in device.client.get(reply.url).content.decode()
    assert stored() == before
    device.client.post(reverse("surveys:set_language"), {"lang": "en", "next": "/"})
    reply = device.send("depression", dict.fromkeys(DEP, 4))
    assert "Your answers were already submitted, so this page was not saved." in device.client.get(reply.url).content.decode()


def test_every_write_is_in_the_answer_history(two_devices):
    tab_a, tab_b = two_devices
    tab_a.load("depression")
    tab_a.send("depression", {"dep1": 2})
    tab_b.load("depression")
    tab_b.send("depression", {"dep1": 4})
    rows = list(AnswerChange.objects.filter(code="dep1").order_by("id").values("old_value", "new_value", "device", "source", "revision"))
    assert [(row["old_value"], row["new_value"]) for row in rows] == [(None, 2), (2, 4)]
    assert rows[0]["device"] and rows[1]["device"] and rows[0]["device"] != rows[1]["device"]
    assert {row["source"] for row in rows} == {"page"}
    assert rows[1]["revision"] == rows[0]["revision"] + 1 == Response.objects.get().revision
    birth_year = AnswerChange.objects.get(code="birth_year")
    assert birth_year.new_value == page_answers("about")["birth_year"] and birth_year.device == rows[0]["device"]
    with pytest.raises(ValueError, match="append-only"):
        birth_year.save()  # append-only


def test_the_api_submission_is_recorded_as_such(client, access_code):
    answers = {code: value for code, value in page_answers("depression").items()}
    reply = client.post(
        "/api/v1/responses/submit", {"access_code": access_code.code, "answers": answers},
        content_type="application/json", headers={"Idempotency-Key": "k1"},
    )
    assert reply.status_code == 201, reply.content
    assert set(AnswerChange.objects.values_list("source", flat=True)) == {"submit"}
    assert AnswerChange.objects.count() == len(answers)
