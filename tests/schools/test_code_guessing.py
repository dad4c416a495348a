"""Guessing access codes is throttled per client and per code."""

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import throttle
from surveys.models import Response
from tests.factories import AccessCodeFactory

pytestmark = pytest.mark.django_db


def _enter(client, code, ip):
    return client.post(reverse("surveys:entry"), {"code": code}, REMOTE_ADDR=ip)


def test_one_client_is_locked_out_after_repeated_failures_even_with_a_valid_code(client):
    valid = AccessCodeFactory()
    for n in range(throttle.MAX_FAILURES_PER_CLIENT):
        _enter(client, f"AAAA-{'CDEFGHJKMN'[n]}AAA", "10.0.0.1")
    response = _enter(client, valid.code, "10.0.0.1")
    assert response.status_code == 400 and "尝试次数过多" in response.content.decode()
    assert not Response.objects.exists()
    assert _enter(client, valid.code, "10.0.0.2").status_code == 302  # another client is not locked


def test_one_code_tried_from_many_clients_is_locked_for_every_client(client):
    """Failures count per code too: many clients trying one code (a slip photographed, a botnet) lock that code."""
    code = AccessCodeFactory(revoked_at=timezone.now())  # refused while revoked
    for n in range(throttle.MAX_FAILURES_PER_CODE):
        assert _enter(client, code.code, f"10.0.1.{n}").status_code == 400
    code.revoked_at = None
    code.save()
    response = _enter(client, code.code, "10.0.2.1")  # a fresh client, now a valid code: still locked
    assert response.status_code == 400 and "尝试次数过多" in response.content.decode()
    other = AccessCodeFactory()
    assert _enter(client, other.code, "10.0.2.1").status_code == 302  # the lock is on that code only
