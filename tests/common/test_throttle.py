"""Access-code guessing is stopped per device, per address and site-wide, without locking out classmates."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from common import throttle
from surveys.access_codes import ALPHABET, LENGTH
from surveys.models import Response
from tests.factories import AccessCodeFactory

pytestmark = pytest.mark.django_db

LOCKED = "尝试次数过多"


@pytest.fixture
def client_class():
    """Phones: each its own cookies, with a chosen client address."""
    return Client


def wrong(n: int) -> str:
    """The n-th distinct code that no factory issues (factory codes come from the generator)."""
    digits = []
    for _ in range(4):
        n, digit = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "WWWW" + "".join(digits)


def _phone(client_class, address="10.0.0.1"):
    """A phone with its device cookie (the code page sets it), all behind one address."""
    phone = client_class(REMOTE_ADDR=address)
    phone.get(reverse("surveys:entry"))
    assert throttle.DEVICE_COOKIE in phone.cookies
    return phone


def _enter(phone, code):
    return phone.post(reverse("surveys:entry"), {"code": code})


def test_the_arithmetic_of_the_code_space():
    """The README's figures: 23^8 codes; the site-wide budget bounds a guesser whatever the addresses."""
    assert len(ALPHABET) == 23 and LENGTH == 8
    space = len(ALPHABET) ** LENGTH
    assert space == 78_310_985_281
    per_day = throttle.MAX_FAILURES_SITE * (24 * 3600 // throttle.WINDOW_S)
    assert per_day == 96_000
    days_per_hit_with_10000_codes = space / (10_000 * per_day)
    assert 80 < days_per_hit_with_10000_codes < 82


def test_a_device_is_locked_after_ten_distinct_wrong_codes_even_with_a_valid_code(client_class):
    valid = AccessCodeFactory()
    phone = _phone(client_class)
    for n in range(throttle.MAX_FAILURES_PER_DEVICE):
        assert _enter(phone, wrong(n)).status_code == 400
    response = _enter(phone, valid.code)
    assert response.status_code == 400 and LOCKED in response.content.decode()
    assert not Response.objects.exists()
    classmate = _phone(client_class)  # the same address, another phone
    assert _enter(classmate, valid.code).status_code == 302


def test_the_same_typo_retyped_counts_once(client_class):
    valid = AccessCodeFactory()
    phone = _phone(client_class)
    for _ in range(3 * throttle.MAX_FAILURES_PER_DEVICE):
        _enter(phone, wrong(1))
    assert _enter(phone, valid.code).status_code == 302


def test_a_locked_phone_cannot_lock_a_valid_code_by_typing_it(client_class):
    valid = AccessCodeFactory()
    guesser = _phone(client_class)
    for n in range(throttle.MAX_FAILURES_PER_DEVICE):
        _enter(guesser, wrong(n))
    for _ in range(20):
        assert LOCKED in _enter(guesser, valid.code).content.decode()
    assert _enter(_phone(client_class), valid.code).status_code == 302


def test_a_class_of_sixty_with_typos_behind_one_address_all_get_in(client_class):
    codes = [AccessCodeFactory() for _ in range(60)]
    typo = 0
    for index, code in enumerate(codes):
        phone = _phone(client_class, "203.0.113.9")
        for _ in range(5 if index < 10 else 0):
            assert _enter(phone, wrong(typo)).status_code == 400
            typo += 1
        assert _enter(phone, code.code).status_code == 302, index
    assert Response.objects.count() == 60


def test_one_address_is_locked_after_its_limit_of_wrong_codes(client_class, monkeypatch):
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ADDRESS", 12)
    valid = AccessCodeFactory()
    for n in range(12):  # a script that drops its cookies: a new device every time
        _enter(client_class(REMOTE_ADDR="198.51.100.1"), wrong(n))
    assert LOCKED in _enter(_phone(client_class, "198.51.100.1"), valid.code).content.decode()
    assert _enter(_phone(client_class, "198.51.100.2"), valid.code).status_code == 302


def test_past_the_site_budget_only_phones_that_entered_before_may_try(client_class, monkeypatch):
    monkeypatch.setattr(throttle, "MAX_FAILURES_SITE", 6)
    first, second, later = AccessCodeFactory(), AccessCodeFactory(), AccessCodeFactory()
    shared = _phone(client_class, "192.0.2.50")
    assert _enter(shared, first.code).status_code == 302  # this phone is now known
    for n in range(6):  # a guesser rotating addresses
        _enter(client_class(REMOTE_ADDR=f"192.0.2.{n}"), wrong(n))
    refused = _enter(_phone(client_class, "192.0.2.99"), later.code)
    assert refused.status_code == 400 and LOCKED in refused.content.decode()
    shared.post(reverse("surveys:stop"))
    assert _enter(shared, second.code).status_code == 302


def test_a_forged_device_cookie_is_no_device(client_class):
    phone = client_class(REMOTE_ADDR="10.0.0.3")
    phone.cookies[throttle.DEVICE_COOKIE] = "abc:t"
    phone.get(reverse("surveys:entry"))
    request = phone.get(reverse("surveys:entry")).wsgi_request
    client = throttle.client_of(request)
    assert client.device and client.device != "abc" and not client.trusted


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1, 2.2.2.2", "10.0.0.9"),  # no proxy: the header is the client's own and ignored
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),  # one load balancer appended the client's address
        (2, "1.1.1.1, 2.2.2.2, 3.3.3.3", "2.2.2.2"),  # CDN then load balancer
        (2, "2.2.2.2", "2.2.2.2"),  # fewer entries than proxies: the leftmost
        (1, "", "10.0.0.9"),
    ],
)
def test_client_address_from_trusted_proxies(count, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert throttle.client_address({"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": forwarded}) == expected


def test_rotating_x_forwarded_for_behind_one_proxy_gets_no_extra_guesses(client_class, monkeypatch):
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ADDRESS", 8)
    valid = AccessCodeFactory()
    with override_settings(TRUSTED_PROXY_COUNT=1):
        for n in range(8):
            spoofed = f"198.51.100.{n}, 203.0.113.7"  # the script's own entry, then what the load balancer appended
            client_class(REMOTE_ADDR="10.0.0.1").post(reverse("surveys:entry"), {"code": wrong(n)}, HTTP_X_FORWARDED_FOR=spoofed)
        last = client_class(REMOTE_ADDR="10.0.0.1").post(
            reverse("surveys:entry"), {"code": valid.code}, HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.7"
        )
        assert LOCKED in last.content.decode()


def test_cache_down_fails_open(client_class, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(throttle.cache, "get_many", broken)
    monkeypatch.setattr(throttle.cache, "add", broken)
    valid = AccessCodeFactory()
    phone = _phone(client_class)
    assert _enter(phone, wrong(1)).status_code == 400
    assert _enter(phone, valid.code).status_code == 302
