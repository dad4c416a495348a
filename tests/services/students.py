"""A student answering over HTTP as the phone pages do, retrying like the pages' script on 5xx and lost connections."""

import re
import time

import httpx

from tests.surveys.answers import page_answers, sections

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RETRY_DELAYS = [0.5, 1, 2, 4, 8, 15]


class Student:
    def __init__(self, base_url: str, code: str, timings: dict | None = None):
        self.client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=30)
        self.code = code
        self.timings = timings if timings is not None else {}
        self.errors = 0

    def _request(self, method: str, url: str, label: str, **kwargs) -> httpx.Response:
        for delay in [*RETRY_DELAYS, None]:
            start = time.perf_counter()
            try:
                response = self.client.request(method, url, **kwargs)
                if response.status_code < 500:
                    self.timings.setdefault(label, []).append(time.perf_counter() - start)
                    return response
            except httpx.TransportError:
                pass
            self.errors += 1
            if delay is None:
                raise RuntimeError(f"{method} {url} kept failing")
            time.sleep(delay)
        raise AssertionError("unreachable")

    def _post_form(self, url: str, data: dict, label: str) -> httpx.Response:
        page = self._request("GET", url, f"GET {label}")
        token = CSRF.search(page.text).group(1)
        return self._request("POST", url, f"POST {label}", data={**data, "csrfmiddlewaretoken": token}, headers={"Referer": str(page.url)})

    def answer_everything(self) -> httpx.Response:
        self._post_form("/", {"code": self.code}, "entry")
        self._post_form("/q/assent/", {"agree": "on"}, "assent")
        for section in sections():
            answers = {key: str(value) for key, value in page_answers(section).items()}
            response = self._post_form(f"/q/{section}/", {**answers, "next": "1"}, f"page {section}")
            assert response.status_code == 200, (section, response.status_code, response.text[:500])
        return self._post_form("/q/review/", {"submission_key": self.code}, "submit")
