"""Staff in the production browser tests: signed in, and each page checked for the policy and the width.

Sessions are made here, not through the sign-in form, so that the tests of the pages keep working
whatever the sign-in asks (a lock-out, a second factor): the session is stored with Django's
``SessionStore``, signed with the production server's secret key, and its cookie set in the browser.
When django-otp is installed the session is marked as verified with a confirmed device of the user.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import override_settings

from tests.e2e.conftest import PRODUCTION_SECRET_KEY, csp_violations

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def _otp_device_id(user) -> str | None:
    if "django_otp" not in settings.INSTALLED_APPS:
        return None
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(user=user, name="browser tests", defaults={"confirmed": True})
    return device.persistent_id


def sign_in(context, base: str, user) -> None:
    """Give the browser context a signed-in session of ``user`` on the production server at ``base``."""
    from importlib import import_module

    with override_settings(SECRET_KEY=PRODUCTION_SECRET_KEY):
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        device_id = _otp_device_id(user)
        if device_id:
            store["otp_device_id"] = device_id
        store.save()
    host = urlsplit(base).hostname
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "domain": host, "path": "/",
          "httpOnly": True, "secure": True, "sameSite": "Lax"}]
    )


def page_width(page) -> dict:
    return page.evaluate(
        "() => ({document: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
        " viewport: window.innerWidth})"
    )


class StaffBrowser:
    """One signed-in staff member with a desktop and a phone window; ``visit`` checks a page in both."""

    def __init__(self, browser, base: str, user, *, locale: str = "zh-CN"):
        self.base = base
        self.contexts = {}
        self.pages = {}
        self.violations = {}
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale=locale, is_mobile=name == "phone",
                                          has_touch=name == "phone")
            sign_in(context, base, user)
            page = context.new_page()
            self.contexts[name], self.pages[name] = context, page
            self.violations[name] = csp_violations(page)

    def visit(self, path: str, *, expect: str | None = None, shoot=None, step: str = "") -> dict:
        """Open ``path`` at 1,280 and 390 px: it answers 200, shows ``expect``, breaks no CSP rule and
        is no wider than the window. Returns the document widths."""
        widths = {}
        for name, page in self.pages.items():
            response = page.goto(self.base + path, wait_until="networkidle")
            assert response is not None and response.status == 200, (path, name, response and response.status)
            assert "/accounts/login/" not in page.url, (path, "not signed in")
            if expect is not None:
                assert expect in page.content(), (path, name, expect)
            width = page_width(page)
            widths[name] = width["document"]
            assert width["document"] <= width["viewport"], (path, name, width)
            assert self.violations[name] == [], (path, name, self.violations[name])
            if shoot is not None:
                shoot(page, f"{step or 'page'}-{name}")
        return widths

    @property
    def phone(self):
        return self.pages["phone"]

    @property
    def desktop(self):
        return self.pages["desktop"]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()
