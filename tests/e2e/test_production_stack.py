"""The browser meets the app as production serves it: headers, the policy, static files, secure cookies."""

import urllib.request

import pytest

from tests.e2e.conftest import csp_violations
from tests.e2e.questionnaire import enter_code, give_assent, path_of
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_production_headers_and_static_files(production_server):
    with urllib.request.urlopen(production_server + "/") as reply:  # noqa: S310 (loopback)
        headers = reply.headers
        page = reply.read().decode()
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "/static/" in page
    stylesheet = page.split('href="/static/', 1)[1].split('"', 1)[0]
    assert len(stylesheet.split(".")) >= 3, f"not a hashed manifest name: {stylesheet}"


def test_a_student_enters_under_production_settings(production_server, phone, shoot):
    code = AccessCodeFactory().code
    page = phone()
    violations = csp_violations(page)
    enter_code(page, production_server, code)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    give_assent(page)
    assert path_of(page).startswith("/q/")
    shoot(page, "first-section-production")
    assert violations == []


def test_the_violation_watcher_sees_inline_code(production_server, phone):
    page = phone()
    violations = csp_violations(page)
    page.goto(production_server + "/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.x") is None
    assert violations, "an inline script ran or went unreported under the production policy"
