"""Staff sessions end after a time without activity; a page's own polling is not activity."""

import time

import pytest
from django.test import override_settings

from common.models import AuditEvent
from schools.middleware import LAST_SEEN
from studies.models import Role
from tests.factories import MembershipFactory, SchoolClassFactory, UserFactory, WaveFactory


@pytest.fixture
def teacher(db):
    return MembershipFactory(role=Role.TEACHER, school_class=SchoolClassFactory(), user=UserFactory(username="teacher")).user


def _age_session(client, seconds):
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds
    session.save()


@override_settings(STAFF_SESSION_IDLE_MINUTES=30)
def test_a_session_idle_longer_than_the_setting_is_signed_out(client, teacher):
    client.force_login(teacher)
    assert client.get("/staff/").status_code == 200
    _age_session(client, 29 * 60)
    assert client.get("/staff/").status_code == 200  # activity within the limit keeps it
    _age_session(client, 31 * 60)
    response = client.get("/school/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fschool%2F"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_out.idle", actor=teacher).exists()
    assert client.get("/staff/").status_code == 302


@override_settings(STAFF_SESSION_IDLE_MINUTES=5)
def test_the_api_and_the_page_scripts_get_401_not_a_login_page(client, teacher):
    client.force_login(teacher)
    client.get("/staff/")
    _age_session(client, 6 * 60)
    response = client.get("/api/v1/studies/")
    assert response.status_code == 401 and "5" in response.json()["detail"]


@override_settings(STAFF_SESSION_IDLE_MINUTES=30)
def test_roster_polling_does_not_keep_the_session_alive(client, teacher):
    klass = teacher.memberships.get().school_class
    wave = WaveFactory(study=klass.school.study)
    client.force_login(teacher)
    client.get("/staff/")
    _age_session(client, 20 * 60)
    rows = f"/school/classes/{klass.pk}/waves/{wave.pk}/rows/"
    assert client.get(rows, HTTP_X_REQUESTED_WITH="fetch").status_code == 200
    assert time.time() - client.session[LAST_SEEN] >= 20 * 60  # not refreshed
    _age_session(client, 31 * 60)
    assert client.get(rows, HTTP_X_REQUESTED_WITH="fetch").status_code == 401
