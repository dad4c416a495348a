"""Consent (paper and guardian link), withdrawal and deletion, and the audit log."""

import pytest
from django.urls import reverse
from django.utils import timezone

from common.models import AuditEvent
from safeguarding.models import GuardianConsent
from safeguarding.selectors import consent_allows_answering
from studies.instruments import instrument_for
from studies.models import StudyPolicy
from surveys.frames import wave_frame
from surveys.models import AccessCode, Response, Score
from tests.factories import AccessCodeFactory, ScoreFactory
from tests.school_world import login

pytestmark = pytest.mark.django_db


def _url(world, name, kid):
    return reverse(f"schools:{name}", args=[world.class_a1.pk, world.wave.pk, kid.pk])


def test_paper_consent_recorded_by_the_school(client, world):
    kid = world.kids_a1[0]
    login(client, world.users["teacher"])
    client.post(_url(world, "consent_record", kid), {"decision": "given"})
    consent = GuardianConsent.objects.get()
    assert (consent.method, consent.decision, consent.recorded_by) == ("paper", "given", world.users["teacher"])
    page = client.get(reverse("schools:roster", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    assert "given" in page or "已同意" in page


def test_guardian_link_consent(client, world):
    kid = world.kids_a1[1]
    login(client, world.users["teacher"])
    client.post(_url(world, "consent_record", kid), {"decision": "link"})
    consent = GuardianConsent.objects.get()
    assert consent.decision == "pending" and len(consent.token) >= 30
    client.logout()
    assert client.get(reverse("schools:guardian_consent", args=["not-a-token"])).status_code == 404
    client.post(reverse("schools:guardian_consent", args=[consent.token]), {"decision": "refused"})
    consent.refresh_from_db()
    assert consent.decision == "refused" and consent.method == "link"
    assert AuditEvent.objects.filter(action="consent.guardian_link").exists()


def test_a_study_can_require_consent_before_answering(world):
    kid = world.kids_a1[0]
    assert consent_allows_answering(respondent_id=kid.pk, wave=world.wave)
    StudyPolicy.objects.create(study=world.study, require_guardian_consent=True)
    world.study.refresh_from_db()
    wave = type(world.wave).objects.get(pk=world.wave.pk)
    assert not consent_allows_answering(respondent_id=kid.pk, wave=wave)
    GuardianConsent.objects.create(respondent=kid, wave=wave, method="paper", decision="given")
    assert consent_allows_answering(respondent_id=kid.pk, wave=wave)


def _submitted(world, kid):
    response = Response.objects.create(
        respondent=kid, wave=world.wave, school_class=kid.school_class, instrument_version="1", status="submitted",
        submitted_at=timezone.now(), answers={"dep1": 3}, duration_s=600,
    )
    ScoreFactory(response=response, values={"dep": 12})
    return response


def test_withdrawal_revokes_codes_and_leaves_exports_then_admin_deletes_with_a_record(client, world):
    kid, other = world.kids_a1[0], world.kids_a1[1]
    _submitted(world, kid)
    _submitted(world, other)
    code = AccessCodeFactory(respondent=kid, wave=world.wave)
    login(client, world.users["teacher"])
    client.post(_url(world, "respondent_withdraw", kid), {"confirmed": "1"})
    kid.refresh_from_db()
    assert kid.withdrawn_at is not None
    assert AccessCode.objects.get(pk=code.pk).revoked_at is not None
    frame = wave_frame(world.wave, instrument_for(world.wave.instrument))
    assert list(frame["pid"]) == [other.pid]
    # a teacher cannot delete; the study administrator can
    assert client.post(reverse("schools:withdrawn_delete", args=[world.study.pk, kid.pk])).status_code == 403
    login(client, world.users["study_admin"])
    assert kid.pid in client.get(reverse("schools:withdrawn", args=[world.study.pk])).content.decode()
    client.post(reverse("schools:withdrawn_delete", args=[world.study.pk, kid.pk]), {"confirmed": "1"})
    assert not Response.objects.filter(respondent=kid).exists() and not Score.objects.filter(response__respondent=kid).exists()
    assert Response.objects.filter(respondent=other).exists()
    event = AuditEvent.objects.get(action="respondent.answers_delete")
    assert event.actor == world.users["study_admin"] and event.details["responses"] == 1 and kid.pid in event.target


def test_answers_of_a_child_who_did_not_withdraw_cannot_be_deleted(client, world):
    kid = world.kids_a1[0]
    _submitted(world, kid)
    login(client, world.users["study_admin"])
    assert client.post(reverse("schools:withdrawn_delete", args=[world.study.pk, kid.pk])).status_code == 404
    assert Response.objects.filter(respondent=kid).exists()


def test_audit_log_records_sign_ins_exports_alert_views_deletions_and_permission_changes(client, world):
    admin = world.users["study_admin"]
    assert client.post(reverse("login"), {"username": "teacher", "password": "pw-for-tests"}).status_code == 302
    client.get(reverse("schools:roster_csv", args=[world.class_a1.pk, world.wave.pk]))
    client.logout()
    client.force_login(admin)
    response = client.post(
        "/api/v1/memberships/", {"user": world.users["no_role"].pk, "role": "researcher", "study": world.study.pk},
        content_type="application/json",
    )
    client.delete(f"/api/v1/memberships/{response.json()['id']}/")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"sign_in", "export.roster_csv", "membership.create", "membership.delete"} <= actions
    page = client.get(reverse("schools:audit")).content.decode()
    assert 'data-action="sign_in"' in page and 'data-action="membership.create"' in page
    # the administrator of another study sees none of it
    client.force_login(world.users["other_study_admin"])
    page = client.get(reverse("schools:audit")).content.decode()
    assert "<td>teacher</td>" not in page and "membership.create" not in page and "export.roster_csv" not in page
    assert "<td>otheradmin</td>" in page  # their own sign-in


def test_audit_record_is_callable_by_other_apps(world):
    from common.audit import audit_record

    event = audit_record(actor=world.users["researcher"], action="export.wave_csv", target="wave 2026-1", details={"rows": 3})
    assert event.actor_name == "researcher" and event.details == {"rows": 3}
    assert audit_record(actor=None, action="system").actor is None


def test_with_consent_required_a_child_answers_only_after_the_guardian_agreed(client, world):
    StudyPolicy.objects.create(study=world.study, require_guardian_consent=True)
    kid = world.kids_a1[0]
    code = AccessCodeFactory(respondent=kid, wave=world.wave)
    response = client.post(reverse("surveys:entry"), {"code": code.code})
    assert response.status_code == 400 and "监护人" in response.content.decode()
    assert not Response.objects.exists()
    GuardianConsent.objects.create(respondent=kid, wave=world.wave, method="paper", decision="refused")
    assert client.post(reverse("surveys:entry"), {"code": code.code}).status_code == 400
    GuardianConsent.objects.filter(respondent=kid).update(decision="given")
    assert client.post(reverse("surveys:entry"), {"code": code.code}).status_code == 302
