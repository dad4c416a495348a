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
    yield
