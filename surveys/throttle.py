"""Slows down guessing of access codes, per client and per code.

Failures are counted in the cache for a window; past the limit, entry is
refused for the rest of the window, even with a valid code, so a guesser learns
nothing. Counting per code as well stops many clients trying one code.
"""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_S = getattr(settings, "ACCESS_CODE_LOCK_WINDOW_S", 15 * 60)
MAX_FAILURES_PER_CLIENT = getattr(settings, "ACCESS_CODE_MAX_FAILURES_PER_CLIENT", 10)
MAX_FAILURES_PER_CODE = getattr(settings, "ACCESS_CODE_MAX_FAILURES_PER_CODE", 5)


def client_key(request) -> str:
    """The client's address (the proxy's X-Forwarded-For is trusted only when configured)."""
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def _keys(client: str, code: str) -> tuple[str, str]:
    return f"code-fail:client:{client}", f"code-fail:code:{code}"


def _cache_down(error: Exception) -> None:
    # With the cache (Redis) down, students must still get in: throttling fails open.
    logger.warning("access-code throttling skipped, cache unavailable: %s", error)


def is_locked(*, client: str, code: str) -> bool:
    try:
        client_failures, code_failures = (cache.get(key, 0) for key in _keys(client, code))
    except Exception as error:  # noqa: BLE001 - any cache backend error
        _cache_down(error)
        return False
    return client_failures >= MAX_FAILURES_PER_CLIENT or code_failures >= MAX_FAILURES_PER_CODE


def record_failure(*, client: str, code: str) -> None:
    try:
        for key in _keys(client, code):
            if not cache.add(key, 1, WINDOW_S):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, WINDOW_S)
    except Exception as error:  # noqa: BLE001
        _cache_down(error)


def record_success(*, client: str, code: str) -> None:
    try:
        cache.delete(_keys(client, code)[1])
    except Exception as error:  # noqa: BLE001
        _cache_down(error)
