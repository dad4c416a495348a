"""Staff sign-in: repeated wrong passwords lock the user name out from that address; every failure is audited."""

import pytest
from django.test import override_settings
from django.urls import reverse

from common.models import AuditEvent
from tests.factories import MembershipFactory, SchoolClassFactory, UserFactory

PASSWORD = "pw-for-tests"


@pytest.fixture
def teacher(db):
    return MembershipFactory(role="teacher", school_class=SchoolClassFactory(), user=UserFactory(username="teacher")).user


def sign_in(client, password, username="teacher", address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(AXES_FAILURE_LIMIT=5)
def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(client, teacher):
    statuses = [sign_in(client, f"wrong-{n}").status_code for n in range(40)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert set(statuses[4:]) == {429}  # the fifth failure locks out
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # still signed out


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lock_out_is_per_user_name_and_address(client, teacher):
    UserFactory(username="colleague")
    for n in range(3):
        sign_in(client, f"wrong-{n}")
    assert sign_in(client, PASSWORD).status_code == 429
    # the same user from another address (the school's) and another user from this address still sign in
    assert sign_in(client, PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, username="colleague").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lock_out_page_is_translated(client, teacher):
    for n in range(3):
        response = sign_in(client, f"wrong-{n}")
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()
    assert "15" in response.content.decode()
    client.cookies["django_language"] = "en"
    english = sign_in(client, "again", address="10.0.0.1")
    assert "Sign-in locked" in english.content.decode()


@override_settings(AXES_FAILURE_LIMIT=5)
def test_a_success_resets_the_count(client, teacher):
    for n in range(4):
        sign_in(client, f"wrong-{n}")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for n in range(4):
        sign_in(client, f"wrong-again-{n}")
    assert sign_in(client, PASSWORD).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_sign_ins_are_audited_with_the_name_tried_and_the_address(client, teacher):
    sign_in(client, "wrong")
    sign_in(client, "wrong", username="nobody-such")
    sign_in(client, "wrong")
    sign_in(client, "wrong")  # the third locked out; this one is refused while locked
    failures = list(AuditEvent.objects.filter(action="sign_in.failed").order_by("id"))
    assert [event.target for event in failures] == ["teacher", "nobody-such", "teacher", "teacher"]
    assert all(event.actor is None and event.details["client"] == "10.0.0.1" for event in failures)
    assert [event.details["locked_out"] for event in failures] == [False, False, False, True]  # the third wrong password for "teacher" locks it
    assert not AuditEvent.objects.filter(action="sign_in").exists()


def test_study_administrators_see_failed_sign_ins_of_their_studies_members_only(client, teacher):
    study = teacher.memberships.get().study
    admin = MembershipFactory(role="study_admin", study=study, user=UserFactory(username="admin")).user
    outsider = UserFactory(username="outsider")
    sign_in(client, "wrong")
    sign_in(client, "wrong", username=outsider.username)
    client.force_login(admin)
    page = client.get(reverse("schools:audit")).content.decode()
    assert "sign_in.failed" in page and "teacher" in page
    assert "outsider" not in page
