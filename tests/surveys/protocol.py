"""A device on the phone questionnaire over HTTP: it loads a page and sends it back as the form does."""

import html
import re

from django.test import Client
from django.urls import reverse

from tests.surveys.answers import page_answers

HIDDEN = re.compile(r'<input type="hidden" name="(shown|revision)" value="([^"]*)">')


class Device:
    """One phone or tab: its own session; remembers what each page showed when it was loaded."""

    def __init__(self, code: str, *, start: bool = False):
        self.client = Client()
        self.client.post(reverse("surveys:entry"), {"code": code})
        if start:
            self.client.post(reverse("surveys:assent"), {"agree": "on"})
        self.loaded: dict[str, dict] = {}

    def load(self, section: str):
        page = self.client.get(reverse("surveys:section", args=[section]))
        self.loaded[section] = hidden_fields(page.content.decode())
        return page

    def send(self, section: str, answers: dict, *, button: str = "next", **extra):
        """Send the page as last loaded (its shown values and revision) with these answers."""
        data = {**self.loaded.get(section, {}), **{code: str(value) for code, value in answers.items()}, button: "1", **extra}
        reply = self.client.post(reverse("surveys:section", args=[section]), data)
        if reply.status_code in (400, 409):  # the page shown again: what it shows now is the new base
            self.loaded[section] = hidden_fields(reply.content.decode())
        return reply

    def answer(self, section: str, **kwargs):
        """Load the page and send it with a full, valid set of answers."""
        self.load(section)
        return self.send(section, page_answers(section, **kwargs))


def hidden_fields(page: str) -> dict:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}
