"""Oversized, malformed or wrongly typed requests get a 4xx with a message, never a 500."""

import pytest
from django.urls import reverse

from surveys.models import Response
from tests.surveys.answers import page_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(client, access_code):
    client.post(reverse("surveys:entry"), {"code": access_code.code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    client.post(reverse("surveys:section", args=["about"]), {**page_answers("about"), "next": "1"})
    return client


def test_a_page_larger_than_allowed_is_refused(started, settings):
    before = Response.objects.get().answers
    response = started.post(reverse("surveys:section", args=["about"]), {"gender": "1", "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400
    assert Response.objects.get().answers == before


def test_too_many_fields_are_refused(started):
    response = started.post(reverse("surveys:section", args=["about"]), {f"f{i}": "1" for i in range(1000)})
    assert response.status_code == 400


def test_json_posted_to_a_form_page_is_a_validation_error(started):
    before = Response.objects.get().answers
    response = started.post(reverse("surveys:section", args=["about"]), data=b'{"gender": 1', content_type="application/json")
    assert response.status_code == 400
    assert Response.objects.get().answers == before


def test_broken_multipart_body_is_refused(started):
    response = started.generic(
        "POST", reverse("surveys:section", args=["about"]), b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert 400 <= response.status_code < 500


def test_get_of_a_post_only_action_is_405(client):
    assert client.get(reverse("surveys:stop")).status_code == 405


def test_missing_csrf_token_is_403_not_500(access_code):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("surveys:entry"), {"code": access_code.code}).status_code == 403
