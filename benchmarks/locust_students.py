"""Locust scenario of students answering on phones; run by ``benchmarks/locust_run.py``, which prepares the study.

Each Locust user is a phone that answers for one student after another,
taking access codes from the file named by ``LOCUST_CODES``: it loads every
page and saves it (sending back the page's hidden fields: the CSRF token, what
the page showed, its revision), thinking ``LOCUST_THINK`` seconds ("2 8")
between loading and saving. A share ``LOCUST_DOUBLE`` of saves and submits is
sent twice: half as a double tap (two requests at once), half as a retry after
a reply the phone did not get. Locust stops once every code has been submitted.

With ``LOCUST_STEP_USERS`` and ``LOCUST_STEP_SECONDS`` set, the number of phones
grows by that many every so many seconds instead (the saturation run).
"""

import html
import os
import random
import re
import sys
from pathlib import Path

import gevent
from locust import HttpUser, LoadTestShape, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.surveys.answers import page_answers, sections  # noqa: E402  (the answers the database check expects)

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
THINK = tuple(float(value) for value in os.environ.get("LOCUST_THINK", "2 8").split())
DOUBLE = float(os.environ.get("LOCUST_DOUBLE", "0.1"))
PAGES = [(section, {code: str(value) for code, value in page_answers(section).items()}) for section in sections()]
CODES = Path(os.environ["LOCUST_CODES"]).read_text().split() if os.environ.get("LOCUST_CODES") else []
STEP_USERS = int(os.environ.get("LOCUST_STEP_USERS", "0"))
STEP_SECONDS = int(os.environ.get("LOCUST_STEP_SECONDS", "60"))
progress = {"next": 0, "submitted": 0}


class Phone(HttpUser):
    def wait_time(self) -> float:
        return 0  # the think time is between loading and saving a page, in ``form``

    @task
    def answer(self) -> None:
        if progress["next"] >= len(CODES):
            raise StopUser
        code = CODES[progress["next"]]
        progress["next"] += 1
        self.client.cookies.clear()  # the next student on this phone
        self.form("/", {"code": code}, "entry")
        self.form("/q/assent/", {"agree": "on"}, "assent")
        for section, answers in PAGES:
            self.form(f"/q/{section}/", {**answers, "next": "1"}, "page", repeatable=True)
        reply = self.form("/q/review/", {"submission_key": code}, "submit", repeatable=True)
        if reply.url.endswith("/q/done/"):
            progress["submitted"] += 1
        if progress["submitted"] >= len(CODES):
            self.environment.runner.quit()

    def form(self, url: str, data: dict, label: str, *, repeatable: bool = False):
        page = self.client.get(url, name=f"load {label}")
        fields = {**{name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}, **data}
        gevent.sleep(random.uniform(*THINK))
        post = lambda: self.client.post(url, data=fields, name=f"save {label}")  # noqa: E731
        if repeatable and random.random() < DOUBLE:
            if random.random() < 0.5:  # a double tap: both at once, the phone shows the last reply
                first, second = gevent.spawn(post), gevent.spawn(post)
                gevent.joinall([first, second])
                return second.value
            post()  # a retry: the first reply was lost on the way back
        return post()


if STEP_USERS:  # Locust follows a shape class wherever one is defined: only in the saturation run

    class Steps(LoadTestShape):
        """The saturation run: more phones every step, until the run time ends."""

        def tick(self):
            return STEP_USERS * (int(self.get_run_time()) // STEP_SECONDS + 1), STEP_USERS
