"""Getting in as schools do, under the production settings: a class behind one address, and a guesser behind a proxy.

Most of the class comes in through Playwright's HTTP client (each student a
browser context of their own: own cookies, the code page first, then the form),
a few in real pages; every request comes from 127.0.0.1.
"""

import re

import pytest

from common import throttle
from surveys.access_codes import ALPHABET
from surveys.models import Response
from tests.e2e.conftest import csp_violations
from tests.e2e.questionnaire import click_and_follow, path_of
from tests.factories import AccessCodeFactory, SchoolClassFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCKED = "尝试次数过多"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _typos(code: str, count: int) -> list[str]:
    """Distinct mistypings of a code: its last character replaced."""
    return [code[:-1] + char for char in ALPHABET if char != code[-1]][:count]


def _post_code(context, base: str, code: str, headers: dict | None = None):
    """The code page, then the form, as the phone's browser sends them; returns the final reply (redirects followed)."""
    page = context.request.get(base + "/", headers=headers)
    token = TOKEN.search(page.text()).group(1)
    return context.request.post(base + "/", form={"csrfmiddlewaretoken": token, "code": code}, headers=headers)


def test_sixty_students_behind_one_address_ten_mistyping_five_times_all_get_in(production_server, browser, phone):
    school_class = SchoolClassFactory()
    codes = [AccessCodeFactory(respondent__school_class=school_class, respondent__study=school_class.school.study) for _ in range(60)]
    typing = {index: 5 for index in range(10)}  # ten children mistype five times before getting it right
    in_pages = {0, 1, 30, 31, 59}  # a few on real phones, two of them mistyping
    for index, access_code in enumerate(codes):
        code = access_code.code
        if index in in_pages:
            page = phone()
            violations = csp_violations(page)
            page.goto(production_server + "/")
            for typo in _typos(code, typing.get(index, 0)):
                page.fill("input[name=code]", typo)
                page.evaluate("() => { document.body.dataset.sent = '1'; }")
                page.click("button[type=submit].primary")  # the script shows the refusal in place
                page.wait_for_function("() => !document.body.dataset.sent && document.querySelector('p.error')")
                assert "访问码无效" in page.inner_text("main"), page.inner_text("main")
            page.fill("input[name=code]", f"{code[:4].lower()}-{code[4:]}")
            click_and_follow(page, "button[type=submit].primary")
            assert path_of(page) == "/q/assent/", (index, page.inner_text("main"))
            assert violations == []
            continue
        context = browser.new_context()
        try:
            for typo in _typos(code, typing.get(index, 0)):
                reply = _post_code(context, production_server, typo)
                assert reply.status == 400 and LOCKED not in reply.text(), index
            reply = _post_code(context, production_server, code)
            assert reply.ok and reply.url.endswith("/q/assent/"), (index, reply.status, reply.url)
        finally:
            context.close()
    assert Response.objects.filter(respondent__school_class=school_class).count() == 60


def test_rotating_x_forwarded_for_behind_one_proxy_gets_no_extra_guesses(production_server_behind_proxy, browser):
    """A script behind the load balancer writes its own X-Forwarded-For entries and drops its cookies every time."""
    base = production_server_behind_proxy
    valid = AccessCodeFactory()
    classmate = AccessCodeFactory()
    context = browser.new_context()
    refused = 0
    guesses = 0
    try:
        for n in range(throttle.MAX_FAILURES_PER_ADDRESS + 20):
            context.clear_cookies()  # a new device every time
            forwarded = f"10.{n // 250}.{n % 250}.1, 203.0.113.7"  # its own entry, then what the balancer saw
            reply = _post_code(context, base, "WWWW" + ALPHABET[n // 23 % 23] + ALPHABET[n % 23] + "WW", {"X-Forwarded-For": forwarded})
            assert reply.status == 400
            if LOCKED in reply.text():
                refused += 1
            else:
                guesses += 1
        context.clear_cookies()
        reply = _post_code(context, base, valid.code, {"X-Forwarded-For": "192.0.2.1, 203.0.113.7"})
        assert reply.status == 400 and LOCKED in reply.text()  # even a valid code: the guesser learns nothing
        # A student behind the same balancer from another address is not affected.
        context.clear_cookies()
        reply = _post_code(context, base, classmate.code, {"X-Forwarded-For": "203.0.113.8"})
        assert reply.ok and reply.url.endswith("/q/assent/")
    finally:
        context.close()
    assert guesses == throttle.MAX_FAILURES_PER_ADDRESS and refused == 20
    assert not Response.objects.filter(respondent=valid.respondent).exists()
