"""A study administrator reads one respondent's answer history by pid; nobody else does."""

import pytest
from django.urls import reverse

from studies.models import Role
from tests.factories import AccessCodeFactory, MembershipFactory, StudyFactory, UserFactory
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    code = AccessCodeFactory(respondent__display_name="Wang Xiaoming")
    device = Device(code.code, start=True)
    device.answer("about")
    device.load("depression")
    device.send("depression", {"dep1": 2})
    device.load("depression")
    device.send("depression", {"dep1": 4})
    return code


def url(code, study=None):
    return reverse("answer_history", args=[(study or code.respondent.study).pk, code.respondent.pid])


def user_with(role, study):
    return MembershipFactory(role=role, study=study, user=UserFactory()).user


def test_the_study_administrator_sees_every_write_by_pid(client, answered):
    client.force_login(user_with(Role.STUDY_ADMIN, answered.respondent.study))
    reply = client.get(url(answered))
    page = reply.content.decode()
    assert reply.status_code == 200
    assert answered.respondent.pid in page and "Wang Xiaoming" not in page  # pseudonymous
    rows = [row for row in page.split("<tr ")[1:] if 'data-code="dep1"' in row]
    assert len(rows) == 2
    assert "—" in rows[0] and "2 (" in rows[0] and "2 (" in rows[1] and "4 (" in rows[1]
    assert page.count('data-code="birth_year"') == 1


def test_the_respondent_page_links_to_it_for_study_administrators_only(client, answered):
    study = answered.respondent.study
    history = reverse("schools:respondent_history", args=[study.pk, answered.respondent.pid])
    client.force_login(user_with(Role.STUDY_ADMIN, study))
    assert url(answered) in client.get(history).content.decode()
    client.force_login(user_with(Role.RESEARCHER, study))
    assert url(answered) not in client.get(history).content.decode()


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.TEACHER, Role.COUNSELLOR])
def test_other_roles_are_refused(client, answered, role):
    study = answered.respondent.study
    if role == Role.TEACHER:
        user = MembershipFactory(role=role, school_class=answered.respondent.school_class, user=UserFactory()).user
    elif role == Role.COUNSELLOR:
        user = MembershipFactory(role=role, school=answered.respondent.school_class.school, study=study, user=UserFactory()).user
    else:
        user = user_with(role, study)
    client.force_login(user)
    assert client.get(url(answered)).status_code == 403


def test_another_studys_administrator_finds_nothing(client, answered):
    other = StudyFactory()
    client.force_login(user_with(Role.STUDY_ADMIN, other))
    assert client.get(url(answered)).status_code == 404
    assert client.get(url(answered, study=other)).status_code == 404


def test_signed_out_goes_to_the_login(client, answered):
    assert client.get(url(answered)).status_code == 302
