"""The one way in (``access_code_enter``): guardian consent and withdrawal checked on every way a response is opened."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from common import throttle
from safeguarding.models import GuardianConsent
from studies.models import StudyPolicy
from surveys.entry import Refusal, access_code_enter
from surveys.models import Response
from tests.factories import AccessCodeFactory

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/responses/submit"
CLIENT = throttle.Client(address="10.0.0.1", device="d1")


@pytest.fixture
def consent_required():
    """A code of a study that requires a guardian's consent, none recorded."""
    code = AccessCodeFactory()
    StudyPolicy.objects.create(study=code.wave.study, require_guardian_consent=True)
    return code


def _give_consent(code):
    GuardianConsent.objects.create(respondent=code.respondent, wave=code.wave, decision=GuardianConsent.Decision.GIVEN)


def _api_submit(client, body, key="k1"):
    return client.post(SUBMIT, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_service_refuses_without_consent_and_opens_with_it(consent_required):
    entered = access_code_enter(code=consent_required.code, client=CLIENT, lang="zh-hans")
    assert entered.refusal == Refusal.CONSENT and entered.response is None
    assert not Response.objects.exists()
    _give_consent(consent_required)
    entered = access_code_enter(code=consent_required.code, client=CLIENT, lang="zh-hans")
    assert entered.refusal is None and entered.response.respondent == consent_required.respondent


def test_the_service_refuses_a_withdrawn_child_and_an_unknown_code():
    code = AccessCodeFactory()
    code.respondent.withdrawn_at = timezone.now()
    code.respondent.save()
    assert access_code_enter(code=code.code, client=CLIENT, lang="en").refusal == Refusal.WITHDRAWN
    assert access_code_enter(code="WWWWWWWW", client=CLIENT, lang="en").refusal == Refusal.INVALID
    assert not Response.objects.exists()


def test_way_in_the_phone_page_requires_consent(client, consent_required):
    page = client.post(reverse("surveys:entry"), {"code": consent_required.code})
    assert page.status_code == 400 and "监护人" in page.content.decode()
    assert not Response.objects.exists()
    _give_consent(consent_required)
    assert client.post(reverse("surveys:entry"), {"code": consent_required.code}).status_code == 302


def test_way_in_the_api_submit_requires_consent(consent_required):
    refused = _api_submit(APIClient(), {"access_code": consent_required.code, "answers": {"gender": 1}})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "consent_missing"
    assert not Response.objects.exists()
    _give_consent(consent_required)
    assert _api_submit(APIClient(), {"access_code": consent_required.code, "answers": {"gender": 1}}).status_code == 201


def test_way_in_the_api_with_the_page_session_requires_consent(consent_required):
    """The API's other way in, the phone's session: a refused page entry leaves no session to submit with."""
    client = APIClient()
    client.post(reverse("surveys:entry"), {"code": consent_required.code})
    assert _api_submit(client, {"answers": {"gender": 1}}).status_code == 401
    assert not Response.objects.exists()


def test_a_withdrawn_child_gets_in_by_no_way():
    code = AccessCodeFactory()
    code.respondent.withdrawn_at = timezone.now()
    code.respondent.save()
    assert Client().post(reverse("surveys:entry"), {"code": code.code}).status_code == 400
    assert _api_submit(APIClient(), {"access_code": code.code, "answers": {"gender": 1}}).status_code == 403
    assert not Response.objects.exists()


def test_consent_and_withdrawal_refusals_do_not_count_as_guesses(consent_required):
    for _ in range(3 * throttle.MAX_FAILURES_PER_DEVICE):
        access_code_enter(code=consent_required.code, client=CLIENT, lang="en")
    assert not throttle.is_locked(CLIENT)


def test_way_in_the_offline_copy_requires_consent(client, consent_required):
    """The phone's offline copy and its queued writes need the token that only an entry with consent gives."""
    client.post(reverse("surveys:entry"), {"code": consent_required.code})
    bundle = client.get(reverse("surveys:offline_bundle"))
    assert bundle.status_code == 302 and b"token" not in bundle.content
    queued = client.post(
        reverse("surveys:offline_sync"),
        {"token": "", "id": "c1", "kind": "submit", "answers": {"gender": 1}},
        content_type="application/json",
    )
    assert queued.status_code == 403 and queued.json()["status"] == "ended"
    assert not Response.objects.exists()
    _give_consent(consent_required)
    client.post(reverse("surveys:entry"), {"code": consent_required.code})
    assert "token" in client.get(reverse("surveys:offline_bundle")).json()
