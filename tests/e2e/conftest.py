"""Headless Chromium (Debian's) driven by Playwright, at a phone's viewport.

Screenshots go to ``test-artifacts/e2e/`` and are kept as the run's artifacts.
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.paths import ROOT
from tests.processes import database_url, free_port, stop

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts")) / "e2e"
PHONE = {"width": 390, "height": 844}
# The production server's SECRET_KEY: tests sign their staff sessions with it (tests/e2e/staff.py).
PRODUCTION_SECRET_KEY = "browser-tests-" + os.urandom(16).hex()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A new phone: its own cookies, a 390x844 viewport, touch, Chinese by default."""
    contexts = []

    def open_phone(**options):
        context = browser.new_context(
            viewport=options.get("viewport", PHONE), is_mobile=True, has_touch=True, locale="zh-CN", device_scale_factor=2
        )
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request):
    """Save a full-page screenshot named after the test and the step."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def production_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The app as production runs it, for browser tests: yields its base URL.

    gunicorn serves ``config.settings.production`` (DEBUG off, the Content
    Security Policy, security headers, secure cookies, whitenoise's manifest of
    collected static files) over this test run's database, on
    ``http://localhost:PORT`` (Chromium keeps secure cookies on localhost).
    Only the TLS redirect is off, as no TLS runs here. Tests that use it take
    ``transactional_db`` so that the rows they create are committed and seen by
    the server. Watch each page with :func:`csp_violations`.
    """
    yield from _serve_production(django_db_blocker, tmp_path_factory, {})


@pytest.fixture(scope="session")
def production_server_behind_proxy(django_db_setup, django_db_blocker, tmp_path_factory):
    """The same, configured for one load balancer in front (``TRUSTED_PROXY_COUNT=1``).

    Tests send the ``X-Forwarded-For`` header the balancer would forward: the
    client's own entries, then the address the balancer saw.
    """
    yield from _serve_production(django_db_blocker, tmp_path_factory, {"TRUSTED_PROXY_COUNT": "1"})


def _serve_production(django_db_blocker, tmp_path_factory, extra_env: dict):
    folder = tmp_path_factory.mktemp("production")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"http://localhost:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(folder / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(folder / "mail"),
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    env.setdefault("CACHE_URL", "locmemcache://")
    python = Path(sys.executable)
    subprocess.run([str(python), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    log = folder / "gunicorn.log"
    with django_db_blocker.unblock():
        process = subprocess.Popen(
            [str(python.parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        base = f"http://localhost:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 (loopback)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"gunicorn exited:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.25)
        else:
            process.kill()
            raise AssertionError(f"gunicorn did not answer:\n{log.read_text()[-3000:]}")
        yield base
        stop(process)


@pytest.fixture
def network(production_server):
    """The production server behind a relay a test can cut, as a phone's coverage (``tests/e2e/offline.py``)."""
    from tests.e2e.offline import Network

    relay = Network(production_server)
    yield relay
    relay.close()


@pytest.fixture
def staff(browser, production_server):
    """Open a staff member's browser, signed in, on the production server: ``staff(user, **options)``."""
    from tests.e2e.staff import StaffBrowser  # staff.py reads this module's secret key and CSP watcher

    opened = []

    def open_as(user, **options):
        opened.append(StaffBrowser(browser, production_server, user, **options))
        return opened[-1]

    yield open_as
    for staff_browser in opened:
        staff_browser.close()


def csp_violations(page) -> list[str]:
    """Start recording the page's Content Security Policy violations; returns the live list.

    Both the ``securitypolicyviolation`` events (recorded by a script the
    browser injects, which the policy does not govern) and the console errors
    Chromium prints for refused inline code are collected.
    """
    found: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));"
    )
    page.on(
        "console",
        lambda message: found.append(message.text)
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text)
        else None,
    )
    return found
