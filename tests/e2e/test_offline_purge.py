"""A shared phone: after the submission nothing of the student stays; another code removes the previous one's data."""

import re

import pytest

from surveys.models import Response
from tests.e2e.offline import local_state, started_and_kept, stored_on_phone, wait_for_async
from tests.e2e.questionnaire import answer_page, click_and_follow, enter_code, next_page, path_of
from tests.factories import AccessCodeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def kept(page) -> dict:
    held = stored_on_phone(page)
    return {
        "databases": sorted(name for name in held["databases"] if name.startswith("q-")),
        "caches": sorted(name for name in held["caches"] if name.startswith("q-pages-")),
    }


def test_submitted_online_the_phone_holds_nothing(network, phone, shoot):
    code = AccessCodeFactory().code
    page = phone()
    started_and_kept(page, network.url, code)
    key = page.evaluate("document.body.dataset.offlineKey")
    assert kept(page) == {"databases": [f"q-{key}"], "caches": [f"q-pages-{key}"]}
    cached = page.evaluate(
        f"caches.open('q-pages-{key}').then(c => c.keys()).then(r => Promise.all(r.map(q => caches.match(q).then(p => p.text()))))"
    )
    assert len(cached) == 16 and sum(len(text.encode()) for text in cached) < 1_000_000  # the app cache of one code
    assert not any(re.search(r'value="\d+"( id="[^"]*")? (checked|selected)>', text) for text in cached)  # no answers
    assert all('data-template="1"' in text for text in cached)
    page.goto(network.url + "/q/review/")
    click_and_follow(page, "button[data-once]")
    assert path_of(page) == "/q/done/"
    wait_for_async(page, "async () => !(await indexedDB.databases()).some(d => d.name.startsWith('q-'))")
    assert kept(page) == {"databases": [], "caches": []}
    shoot(page, "done-nothing-kept")


def test_another_code_sends_then_removes_the_previous_ones_data(network, phone, shoot):
    first, second = AccessCodeFactory(), AccessCodeFactory()
    page = phone()
    started_and_kept(page, network.url, first.code)
    first_key = page.evaluate("document.body.dataset.offlineKey")
    network.off(page.context)
    answer_page(page)
    next_page(page)  # the first child's page, kept on the phone only
    assert len(local_state(page)["outbox"]) == 1
    page.close()

    page = page.context.new_page()  # later, with the network, the next child takes the phone
    network.on(page.context)
    enter_code(page, network.url, second.code)
    assert path_of(page) == "/q/assent/"
    second_key = page.evaluate("document.body.dataset.offlineKey")
    assert second_key != first_key
    wait_for_async(
        page,
        f"async () => !(await indexedDB.databases()).some(d => d.name === 'q-{first_key}')"
        f" && !(await caches.keys()).includes('q-pages-{first_key}')",
    )
    page.wait_for_timeout(1000)
    held = kept(page)
    assert f"q-{first_key}" not in held["databases"] and f"q-pages-{first_key}" not in held["caches"]
    assert held["databases"] == [f"q-{second_key}"]
    first_answers = Response.objects.get(respondent=first.respondent).answers
    assert first_answers.get("parent_away") == 1  # sent before it was removed
    shoot(page, "second-child")
