"""A second factor (TOTP) for the roles that see names, answers or alerts; optional for the others."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from common.models import AuditEvent
from studies.models import Role
from tests.factories import (
    MembershipFactory,
    SchoolClassFactory,
    UserFactory,
    force_login_password_only,
    totp_device,
    totp_now,
)

REQUIRED = ["study_admin", "counsellor", "school_admin", "superuser"]
OPTIONAL = ["teacher", "researcher"]


@pytest.fixture
def users(db):
    klass = SchoolClassFactory()
    study, school = klass.school.study, klass.school
    made = {
        "teacher": MembershipFactory(role=Role.TEACHER, school_class=klass).user,
        "counsellor": MembershipFactory(role=Role.COUNSELLOR, school=school, study=study).user,
        "school_admin": MembershipFactory(role=Role.SCHOOL_ADMIN, school=school, study=study).user,
        "researcher": MembershipFactory(role=Role.RESEARCHER, study=study).user,
        "study_admin": MembershipFactory(role=Role.STUDY_ADMIN, study=study).user,
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    return made


@pytest.mark.parametrize("role", REQUIRED)
def test_a_required_role_without_a_device_is_sent_to_set_up_and_reaches_nothing(client, users, role):
    force_login_password_only(client, users[role])
    for path in ("/staff/", "/school/", "/school/alerts/", "/research/exports/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("account:two_factor_setup")), path
    for path in ("/api/v1/studies/", "/api/v1/alerts/", "/api/v1/responses/", "/api/v1/roster/?school_class=1&wave=1"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "second_factor_setup"
    assert client.post("/api/v1/memberships/", {}, content_type="application/json").status_code == 403


@pytest.mark.parametrize("role", OPTIONAL)
def test_an_optional_role_signs_in_with_the_password_alone(client, users, role):
    force_login_password_only(client, users[role])
    assert client.get("/staff/").status_code == 200
    assert client.get("/api/v1/studies/").status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # a wrong code, then the right one at once (throttling tested below)
def test_set_up_shows_a_qr_code_image_and_a_first_code_confirms_it(client, users):
    user = users["counsellor"]
    force_login_password_only(client, user)
    page = client.get(reverse("account:two_factor_setup") + "?next=/school/alerts/")
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("account:two_factor_qr") in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html) and "style=" not in html  # nothing inline
    qr = client.get(reverse("account:two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml" and "no-store" in qr["Cache-Control"]
    assert qr.content.lstrip().startswith((b"<?xml", b"<svg"))
    device = user.totpdevice_set.get(confirmed=False)
    secret = re.search(r'class="secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    wrong = client.post(reverse("account:two_factor_setup"), {"token": "000000" if totp_now(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    done = client.post(reverse("account:two_factor_setup"), {"token": totp_now(device), "next": "/school/alerts/"})
    assert done.status_code == 302 and done["Location"] == "/school/alerts/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/school/alerts/").status_code == 200
    assert client.get(reverse("account:two_factor_qr")).status_code == 404  # the key is never shown again
    assert AuditEvent.objects.filter(action="second_factor.setup", actor=user).exists()


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
@pytest.mark.parametrize("role", REQUIRED + OPTIONAL)
def test_with_a_device_every_role_enters_a_code_after_the_password(client, users, role):
    user = users[role]
    device = totp_device(user)
    force_login_password_only(client, user)
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account:two_factor_verify"))
    assert client.get("/api/v1/studies/").json()["code"] == "second_factor_verify"
    bad = client.post(reverse("account:two_factor_verify"), {"token": "12345"})
    assert bad.status_code == 400
    good = client.post(reverse("account:two_factor_verify"), {"token": totp_now(device), "next": "/staff/"})
    assert good.status_code == 302 and good["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert client.get("/api/v1/studies/").status_code == 200


def test_wrong_codes_are_audited_and_throttled(client, users):
    user = users["study_admin"]
    device = totp_device(user)
    force_login_password_only(client, user)
    right = totp_now(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(3):
        assert client.post(reverse("account:two_factor_verify"), {"token": wrong}).status_code == 400
    # throttled after failures: even the right code is refused for a while
    assert client.post(reverse("account:two_factor_verify"), {"token": right}).status_code == 400
    assert AuditEvent.objects.filter(action="sign_in.second_factor_failed", actor=user).count() == 4


def test_token_authentication_is_not_a_session_and_is_not_asked_for_a_code(users):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = users["study_admin"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert api.get("/api/v1/studies/").status_code == 200


def test_a_real_sign_in_goes_password_then_code(client, users):
    user = users["school_admin"]
    user.set_password("long-password-1")
    user.save()
    device = totp_device(user)
    response = client.post(reverse("login"), {"username": user.username, "password": "long-password-1", "next": "/school/"})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302 and "/accounts/two-factor/verify/" in response["Location"]
    assert client.post(response["Location"], {"token": totp_now(device)}).status_code == 302
    assert client.get("/school/").status_code == 200


@override_settings(OTP_REQUIRED_ROLES=["teacher"])
def test_the_required_roles_are_a_setting(client, users):
    force_login_password_only(client, users["teacher"])
    assert client.get("/staff/").status_code == 302
    client.logout()
    force_login_password_only(client, users["counsellor"])
    assert client.get("/staff/").status_code == 200
