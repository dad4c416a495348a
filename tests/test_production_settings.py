"""Production settings come from the environment, have no default secret and pass Django's deploy checks."""

import os
import subprocess
import sys

from tests.paths import ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-for-the-check-only-0123456789abcdef",
    "DATABASE_URL": "postgres://survey@127.0.0.1:5432/survey",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "survey.example.org",
}


def manage(*args, env):
    # Not the test run's own settings (the e2e tests allow async-unsafe calls for Playwright).
    base = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV and key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)


def test_deploy_check_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_come_from_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL,"
        " s.CACHES['default']['BACKEND'], s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "survey", "redis://127.0.0.1:6379/0",
        "django.core.cache.backends.redis.RedisCache", "False", "True", "True", "True",
    ], result.stderr


def test_no_default_secret_in_production():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
