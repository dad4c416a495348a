"""POST /api/v1/responses/submit: the phone pages' services, an Idempotency-Key, one submission."""

import pytest
from rest_framework.test import APIClient

from surveys.models import Response

pytestmark = pytest.mark.django_db

URL = "/api/v1/responses/submit"


def _post(client, body, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body, format="json", **headers)


def test_submit_once_and_replay(world):
    client = APIClient()
    body = {"access_code": world.code.code, "answers": {"gender": 2, "rsca01": 3, "birth_year": 2010}, "lang": "en"}
    first = _post(client, body)
    assert first.status_code == 201 and first.json()["created"] is True
    response = Response.objects.get(respondent=world.pupil, wave=world.wave)
    assert response.is_submitted and response.answers["gender"] == 2 and response.source in ("web", "api")
    assert response.submission_key == "key-1" and hasattr(response, "score")
    again = _post(client, body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["submitted_at"] == first.json()["submitted_at"]
    assert _post(client, {**body, "answers": {"gender": 1}}, key="key-2").status_code == 409
    assert Response.objects.filter(respondent=world.pupil).count() == 1
    assert Response.objects.get(pk=response.pk).answers["gender"] == 2
    assert "gender" not in first.content.decode()  # nothing of the answers or scores comes back


def test_the_key_is_required_and_answers_are_checked(world):
    client = APIClient()
    body = {"access_code": world.code.code, "answers": {"gender": 1}}
    assert _post(client, body, key=None).status_code == 400
    assert _post(client, {**body, "answers": {"gender": 7}}).status_code == 400
    assert _post(client, {**body, "answers": {"pcr": 3}}).status_code == 400  # derived, not an item
    assert _post(client, {**body, "answers": {"display_name": 1}}).status_code == 400
    assert _post(client, {**body, "answers": "x"}).status_code == 400
    assert not Response.objects.filter(respondent=world.pupil, status="submitted").exists()


def test_a_wrong_code_is_refused_and_locked_out_like_the_phone_pages(world, monkeypatch):
    from common import throttle

    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ADDRESS", 5)  # the API has no device cookie: the address counts
    client = APIClient()
    for n in range(5):
        assert _post(client, {"access_code": f"ZZZZ-ZZZ{'ACDEF'[n]}", "answers": {}}).status_code == 403
    assert _post(client, {"access_code": world.code.code, "answers": {}}).status_code == 429
    assert _post(APIClient(), {"answers": {}}).status_code == 401


def test_a_closed_wave_takes_no_submission(world):
    world.wave.is_open = False
    world.wave.save()
    assert _post(APIClient(), {"access_code": world.code.code, "answers": {"gender": 1}}).status_code == 403


def test_the_phone_session_can_submit_through_the_api(world, client):
    entry = client.post("/", {"code": world.code.code})
    assert entry.status_code == 302
    response = client.post(URL, {"answers": {"gender": 1}}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="phone-1")
    assert response.status_code == 201
    assert Response.objects.get(respondent=world.pupil).is_submitted


def test_a_printed_code_with_a_dash_and_lower_case_works(world):
    printed = f"{world.code.code[:4]}-{world.code.code[4:]}".lower()
    assert _post(APIClient(), {"access_code": printed, "answers": {"gender": 1}}).status_code == 201


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"access_code": "ABCD', "application/json", 400),  # malformed JSON
        (b"access_code=ABCD", "text/plain", 415),  # a content type the API does not read
        (b"\xff\xfe\x00", "application/json", 400),  # not even text
    ],
)
def test_malformed_or_mistyped_bodies_get_a_4xx_with_a_message(world, body, content_type, status):
    response = APIClient().generic("POST", URL, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == status
    assert response.json()["error"]["message"] and response.json()["error"]["code"] in ("parse_error", "unsupported_media_type")
    assert not Response.objects.filter(respondent=world.pupil, status="submitted").exists()


def test_a_body_larger_than_allowed_is_refused(world, settings):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = _post(APIClient(), {"access_code": world.code.code, "answers": {"gender": 1}, "padding": padding})
    assert 400 <= response.status_code < 500
    assert not Response.objects.filter(respondent=world.pupil, status="submitted").exists()
