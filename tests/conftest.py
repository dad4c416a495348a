import pytest

from tests.paths import REFERENCE_DIR, SPEC_DIR


@pytest.fixture
def reference_dir():
    if not REFERENCE_DIR.exists():
        pytest.fail(f"reference data not found at {REFERENCE_DIR}: shared/ must sit beside the checkout")
    return REFERENCE_DIR


@pytest.fixture
def spec_dir():
    return SPEC_DIR


@pytest.fixture
def access_code(db):
    from tests.factories import AccessCodeFactory

    return AccessCodeFactory()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttling counts live in the cache: every test starts with none."""
    from django.conf import settings

    if settings.configured:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _staff_logins_pass_the_second_factor(monkeypatch):
    """``client.force_login(user)`` in tests signs a user in with both steps (password and TOTP code),
    as staff are after signing in; ``tests.factories.force_login_password_only`` stops after the password."""
    from django.test import Client

    from tests.factories import otp_verify_session

    original = Client.__dict__.get("_force_login_password_only", Client.force_login)

    def force_login(self, user, backend=None):
        original(self, user, backend)
        otp_verify_session(self, user)

    monkeypatch.setattr(Client, "_force_login_password_only", original, raising=False)
    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _snapshots_of_this_test(settings, tmp_path):
    """Each test's analysis reads start without another test's wave snapshots (surveys/snapshot.py)."""
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
