"""The pages around the questions: progress from 0 % on assent to 100 % on done, errors that name the question,
the distress screen with the counsellor's name or role, the study's resources in the student's language and the help body."""

import re

import pytest
from django.urls import reverse

from scoring.instrument import default_instrument
from studies.models import Role
from tests.factories import MembershipFactory, SafeguardingRuleFactory, UserFactory
from tests.surveys.answers import page_answers, sections

pytestmark = pytest.mark.django_db

PROGRESS = re.compile(r'<progress class="progress" max="100" value="(\d+)"')


def _progress(page) -> int:
    return int(PROGRESS.search(page.content.decode()).group(1))


def _answer_all(client, code, **overrides):
    client.post(reverse("surveys:entry"), {"code": code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    for section in sections():
        answers = {**page_answers(section), **{k: v for k, v in overrides.items() if k in page_answers(section)}}
        client.post(reverse("surveys:section", args=[section]), {**answers, "next": "1"})
    return client.post(reverse("surveys:review"), {"submission_key": "k"})


def test_progress_is_zero_on_assent_full_on_done_and_rises_in_between(client, access_code, django_capture_on_commit_callbacks):
    client.post(reverse("surveys:entry"), {"code": access_code.code})
    assent = client.get(reverse("surveys:assent"))
    assert _progress(assent) == 0 and "步，共" not in assent.content.decode()
    client.post(reverse("surveys:assent"), {"agree": "on"})
    seen = []
    for position, section in enumerate(sections(), start=1):
        page = client.get(reverse("surveys:section", args=[section]))
        seen.append(_progress(page))
        assert f"第 {position} 步，共 {len(sections()) + 1} 步" in page.content.decode()
        client.post(reverse("surveys:section", args=[section]), {**page_answers(section), "next": "1"})
    seen.append(_progress(client.get(reverse("surveys:review"))))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:review"), {"submission_key": "k"})
    done = client.get(reverse("surveys:done"))
    assert seen[0] > 0 and seen == sorted(set(seen)) and seen[-1] < 100
    assert _progress(done) == 100
    assert '<p class="step">' not in done.content.decode() and '<p class="step">' not in assent.content.decode()
    assert PROGRESS.search(assent.content.decode()).start() > assent.content.decode().index("<main>")  # inside a landmark


def test_errors_name_the_question(client, access_code):
    client.post(reverse("surveys:entry"), {"code": access_code.code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    first = sections()[0]
    page = client.post(reverse("surveys:section", args=[first]), {"next": "1"}).content.decode()
    instrument = default_instrument()
    assert f"请回答这道题：{instrument['birth_year'].text('zh-hans')}" in page
    assert "该字段是必填项" not in page


@pytest.mark.parametrize(
    ("lang", "resources", "body"),
    [("zh-hans", "希望热线", "谢谢你愿意告诉我们"), ("en", "Hope hotline", "Thank you for telling us")],
)
def test_the_distress_screen_in_the_students_language(
    client, access_code, lang, resources, body, django_capture_on_commit_callbacks
):
    study = access_code.wave.study
    study.help_resources, study.help_resources_en = "希望热线：400-161-9995", "Hope hotline: 400-161-9995"
    study.save()
    school = access_code.respondent.school_class.school
    MembershipFactory(role=Role.COUNSELLOR, school=school, study=study, user=UserFactory(username="demo-counsellor"))
    SafeguardingRuleFactory(study=study, name="hopeless", source="answer", code="dep5", threshold=5)
    client.post(reverse("surveys:set_language"), {"lang": lang, "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        assert _answer_all(client, access_code.code, dep5=5).url == reverse("surveys:done")
    page = client.get(reverse("surveys:done")).content.decode()
    assert 'id="help"' in page and resources in page and body in page
    assert "demo-counsellor" not in page
    assert ("心理老师很快会联系你" if lang == "zh-hans" else "school counsellor will contact you") in page
    other = "Hope hotline" if lang == "zh-hans" else "希望热线"
    assert other not in page


def test_a_counsellor_with_a_name_is_named(client, access_code, django_capture_on_commit_callbacks):
    study = access_code.wave.study
    MembershipFactory(
        role=Role.COUNSELLOR,
        school=access_code.respondent.school_class.school,
        study=study,
        user=UserFactory(username="c-login", first_name="李老师"),
    )
    SafeguardingRuleFactory(study=study, name="hopeless", source="answer", code="dep5", threshold=5)
    with django_capture_on_commit_callbacks(execute=True):
        _answer_all(client, access_code.code, dep5=5)
    page = client.get(reverse("surveys:done")).content.decode()
    assert "李老师" in page and "c-login" not in page
