"""Personal API tokens: create (the token is returned once), revoke, check."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "sp"
EXPIRY_DAYS = (30, 90, 365)
# last_used_at is written at most this often per token (not on every request of a pull)
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    key: str  # the whole token: shown once, never stored


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_token_create(*, user, name: str, days: int) -> NewToken:
    """A new token of ``user`` valid for ``days`` days (one of ``EXPIRY_DAYS``)."""
    if days not in EXPIRY_DAYS:
        raise ValueError(f"days must be one of {EXPIRY_DAYS}")
    prefix = secrets.token_hex(6)
    key = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:80], prefix=prefix, key_hash=token_hash(key), expires_at=timezone.now() + timedelta(days=days)
    )
    return NewToken(token=token, key=key)


def api_token_revoke(*, user, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s tokens (None when it is not theirs)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is not None and token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def parse_token(key: str) -> str | None:
    """The prefix of a well-formed token, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1]


def api_token_check(key: str) -> ApiToken | None:
    """The active token ``key`` is (with its user), or None: unknown, wrong secret, revoked, expired or inactive user."""
    prefix = parse_token(key)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, token_hash(key)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
