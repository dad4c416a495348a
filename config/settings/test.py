"""Test settings: fast password hashing, mail kept in memory."""

import os

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10000/minute", "user": "100000/hour"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent requests then wait for the
    # write lock as they do in production instead of failing with "table is locked".
    # One file per test process, so that two runs on one machine never share a database; except
    # for `make test-fast` (TEST_DB_REUSE=1 with --reuse-db), which keeps one file per checkout
    # (and per xdist worker: pytest-django suffixes it with _gw0, _gw1...) from one run to the next.
    name = "test-db-reused.sqlite3" if os.environ.get("TEST_DB_REUSE") else f"test-db-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / name)}  # noqa: F405

# The read replica as a test mirror of the default database (same file, its own
# connection). Nothing reads from it unless a test sets ANALYTICS_DATABASE = "replica".
DATABASES["replica"] = {**DATABASES["default"], "TEST": {**DATABASES["default"].get("TEST", {}), "MIRROR": "default"}}  # noqa: F405
ANALYTICS_DATABASE = "default"
