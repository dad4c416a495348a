"""Slows down the guessing of access codes without locking a class out.

What is counted: *distinct wrong codes*. A wrong code typed again (a child
retrying the same typo) counts once, as it teaches a guesser nothing new; a
valid code never counts, and nothing is ever counted against a valid code, so
nobody can lock a classmate's code by typing it.

Who is counted, each in a window of ``WINDOW_S`` (15 minutes from the first
wrong code):

- the device: a random id in a signed cookie (``device``), set on the entry
  page; ``MAX_FAILURES_PER_DEVICE`` distinct wrong codes lock that phone;
- the client address, as the trusted proxies saw it (``TRUSTED_PROXY_COUNT``):
  ``MAX_FAILURES_PER_ADDRESS``, far above what a school behind one public
  address produces (a class of 60 with 10 children mistyping 5 times makes 50);
- the whole site: past ``MAX_FAILURES_SITE`` distinct wrong codes, only devices
  that entered with a valid code before (marked in their signed cookie) may
  still try; so a guesser rotating addresses gains at most that many guesses
  per window, whatever the number of addresses (the README gives the arithmetic).

While a device or address is locked its attempts are refused without looking
the code up (a guesser learns nothing) and count against nobody. With the cache
(Redis) down, students must still get in: throttling then fails open.
"""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_S = getattr(settings, "ACCESS_CODE_LOCK_WINDOW_S", 15 * 60)
MAX_FAILURES_PER_DEVICE = getattr(settings, "ACCESS_CODE_MAX_FAILURES_PER_DEVICE", 10)
MAX_FAILURES_PER_ADDRESS = getattr(settings, "ACCESS_CODE_MAX_FAILURES_PER_ADDRESS", 300)
MAX_FAILURES_SITE = getattr(settings, "ACCESS_CODE_MAX_FAILURES_SITE", 1000)

DEVICE_COOKIE = "device"
DEVICE_SALT = "surveys.throttle.device"  # kept from before the move: devices keep their trusted cookie
DEVICE_MAX_AGE_S = 365 * 24 * 3600
TRUSTED = "t"  # the device's cookie says: it entered with a valid code before


@dataclass(frozen=True)
class Client:
    """Who is typing: the address the trusted proxies saw, and the phone's device id (if it has one)."""

    address: str
    device: str | None = None
    trusted: bool = False


def client_address(meta: dict) -> str:
    """The client's address: ``REMOTE_ADDR``, or with N trusted proxies the Nth address from the right of X-Forwarded-For.

    Each proxy appends the address it received the request from; entries left
    of those the trusted proxies wrote are the client's own and are ignored.
    The same rule as Django REST framework's ``NUM_PROXIES`` (set alike).
    """
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    remote = meta.get("REMOTE_ADDR") or "unknown"
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    return addresses[-min(count, len(addresses))] if addresses else remote


def client_of(request) -> Client:
    """The request's client, with its device cookie when the signature holds."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE_S)
    device, trusted = None, False
    if value:
        device, _, flag = value.partition(":")
        trusted = flag == TRUSTED
    return Client(address=client_address(request.META), device=device or None, trusted=trusted)


def device_cookie_set(http_response, client: Client, *, trusted: bool = False) -> Client:
    """Give the phone a device id (or mark it trusted after a valid code); returns the client as it now is."""
    trusted = trusted or client.trusted
    if client.device and trusted == client.trusted:
        return client
    device = client.device or secrets.token_hex(12)
    http_response.set_signed_cookie(
        DEVICE_COOKIE,
        f"{device}:{TRUSTED}" if trusted else device,
        salt=DEVICE_SALT,
        max_age=DEVICE_MAX_AGE_S,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return Client(address=client.address, device=device, trusted=trusted)


def _scopes(client: Client) -> list[tuple[str, int]]:
    scopes = [(f"address:{client.address}", MAX_FAILURES_PER_ADDRESS), ("site", MAX_FAILURES_SITE)]
    if client.device:
        scopes.insert(0, (f"device:{client.device}", MAX_FAILURES_PER_DEVICE))
    return scopes


def _cache_down(error: Exception) -> None:
    logger.warning("access-code throttling skipped, cache unavailable: %s", error)


def is_locked(client: Client) -> bool:
    """Refuse this client for now: its device or address typed too many wrong codes, or the site is under attack."""
    scopes = _scopes(client)
    try:
        counts = cache.get_many([f"code-fail:{scope}" for scope, _ in scopes])
    except Exception as error:  # noqa: BLE001 - any cache backend error
        _cache_down(error)
        return False
    for scope, limit in scopes:
        if counts.get(f"code-fail:{scope}", 0) >= limit:
            if scope != "site":
                return True
            if not client.trusted:
                logger.warning("access-code guessing: the site-wide budget of %d wrong codes is spent", limit)
                return True
    return False


def record_failure(*, client: Client, code: str) -> None:
    """Count a wrong code once per device, address and site (the same wrong code again counts nothing)."""
    try:
        for scope, _ in _scopes(client):
            if cache.add(f"code-seen:{scope}:{code}", 1, WINDOW_S):
                _increment(f"code-fail:{scope}")
    except Exception as error:  # noqa: BLE001
        _cache_down(error)


def _increment(key: str) -> None:
    if not cache.add(key, 1, WINDOW_S):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_S)
