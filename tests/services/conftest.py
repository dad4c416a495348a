"""Tests against the real services: PostgreSQL, Redis, a Celery worker process, gunicorn.

They run in CI's second pass, where DATABASE_URL points at PostgreSQL and
CELERY_BROKER_URL at Redis; elsewhere they are skipped with the reason.
The processes started here use the test database that pytest-django created.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.paths import ROOT
from tests.processes import database_url, free_port, stop

VENV_BIN = Path(sys.executable).parent


def _services_configured() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs DATABASE_URL=postgres://..."
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs CELERY_BROKER_URL=redis://..."
    return None


def pytest_collection_modifyitems(config, items):
    reason = _services_configured()
    for item in items:
        if "tests/services/" in str(item.fspath):
            item.add_marker(pytest.mark.services)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"real-services test: {reason}"))


def wait_until(predicate, timeout: float, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


@pytest.fixture
def service_env(transactional_db):
    """The environment of a process that should use this test run's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
    }


def _start_worker(service_env, log: Path):
    process = subprocess.Popen(
        [str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q", "interactive,analysis", "--concurrency=1", "--loglevel=INFO", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT,
        env=service_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until(lambda: "ready." in log.read_text(), 60, message="the Celery worker to start")
    return process


@pytest.fixture
def celery_worker(service_env, tmp_path):
    """A real Celery worker process (prefork, one child) on the configured broker."""
    process = _start_worker(service_env, tmp_path / "worker.log")
    yield process
    stop(process)


@pytest.fixture
def celery_worker_again(service_env, tmp_path):
    """A second worker, for after the first one was killed."""
    process = _start_worker(service_env, tmp_path / "worker-2.log")
    yield process
    stop(process)


@pytest.fixture
def gunicorn_server(service_env, tmp_path):
    """gunicorn serving the app on a free port on 127.0.0.1; yields the base URL."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "4"],
        cwd=ROOT,
        env={**service_env, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(up, 30, message="gunicorn to listen")
    yield base
    stop(process)


def redis_port() -> int:
    return urlparse(settings.CELERY_BROKER_URL).port or 6379


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", str(redis_port()), "shutdown", "nosave"], check=False, capture_output=True)
    wait_until(lambda: subprocess.run(["redis-cli", "-p", str(redis_port()), "ping"], capture_output=True).returncode != 0, 10, message="Redis to stop")


def redis_start() -> None:
    """Start Redis as the machine starts it (see the env notes), if it is not running."""
    port = str(redis_port())
    if subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True).returncode == 0:
        return
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", port, "--save", "", "--appendonly", "no",
         "--dir", "/var/lib/redis" if os.path.isdir("/var/lib/redis") else "/tmp",
         "--logfile", "/var/log/redis/ci.log" if os.path.isdir("/var/log/redis") else f"/tmp/redis-{port}.log"],
        check=True,
    )
    wait_until(lambda: subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True).returncode == 0, 15, message="Redis to start")


def postgres_restart() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, capture_output=True)
