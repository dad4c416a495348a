"""The network drops in the middle of a page save, and of the submission: sent again, written once."""

import pytest

from safeguarding.models import Alert
from surveys.models import AnswerChange, PageReceipt, Response, Score
from tests.e2e.conftest import csp_violations
from tests.e2e.offline import started_and_kept, stored_on_phone, wait_for_async
from tests.e2e.questionnaire import answer_page, next_page, path_of
from tests.factories import AccessCodeFactory, SafeguardingRuleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def reply_lost(page, path: str, after, *, body: str = ""):
    """The next POST to ``path`` (with ``body`` in it) reaches the server and is saved; its reply never comes back."""
    arrived = []

    def handle(route):
        if route.request.method != "POST" or arrived or body not in (route.request.post_data or ""):
            route.continue_()
            return
        reply = route.fetch()  # the server has it
        arrived.append(reply.status)
        after()
        route.abort("connectionreset")

    page.route(f"**{path}", handle)
    return arrived


def test_page_save_and_submission_with_lost_replies(network, phone, shoot):
    access_code = AccessCodeFactory()
    SafeguardingRuleFactory(study=access_code.wave.study, name="dep5", source="answer", code="dep5", threshold=5)
    page = phone()
    violations = csp_violations(page)
    started_and_kept(page, network.url, access_code.code)

    arrived = reply_lost(page, "/q/parents_now/", after=lambda: network.off(page.context))
    answer_page(page)
    next_page(page)  # sent; the reply is lost as the network goes: kept on the phone, the next page from the phone
    assert arrived == [204]
    assert path_of(page) == "/q/residence_history/"
    saved = Response.objects.get()
    assert saved.answers["parent_away"] == 1 and saved.revision == 2
    for section in ("residence_history", "rsca", "depression"):
        assert path_of(page) == f"/q/{section}/"
        answer_page(page)
        if section == "depression":
            page.locator("input[name=dep5][value='5']").check()
        next_page(page)
    shoot(page, "offline-family")
    network.on(page.context)  # the queue is sent: the lost page again (same id), then the pages answered offline
    page.wait_for_function("() => document.querySelector('#sync-status').dataset.state === 'sent'", timeout=30_000)
    response = Response.objects.get()
    assert response.answers["dep5"] == 5 and sum(code.startswith("res_") for code in response.answers) == 36
    assert response.revision == 5  # about, parents_now, residence, rsca, depression: the lost page written once
    parents = ["parent_away", "mother_away", "father_away", "contact_freq"]
    assert AnswerChange.objects.filter(response=response, code__in=parents).count() == 4
    assert PageReceipt.objects.filter(response=response).count() == 5

    for _section in ("family_resources", "school_resources"):
        answer_page(page)
        next_page(page)
    assert path_of(page) == "/q/review/"  # pages answered after the network returned, kept and sent from the phone
    arrived = reply_lost(page, "/q/offline/sync/", after=lambda: None, body='"kind":"submit"')
    page.click("button[data-once]")  # submitted; the reply is lost: sent again from the queue
    page.wait_for_url("**/q/done/**", timeout=30_000)
    page.wait_for_selector("#help")
    shoot(page, "done")
    assert arrived == [200]  # the queue's submission reached the server; its reply did not
    response = Response.objects.get()
    assert response.is_submitted and response.submission_key  # the first one's key: stored once
    assert Score.objects.filter(response=response).count() == 1
    assert Alert.objects.filter(respondent=response.respondent).count() == 1
    changed = list(AnswerChange.objects.filter(response=response).values_list("code", flat=True))
    assert len(changed) == len(set(changed))
    wait_for_async(page, "async () => !(await indexedDB.databases()).some(d => d.name.startsWith('q-'))")
    assert [name for name in stored_on_phone(page)["caches"] if name.startswith("q-pages-")] == []
    assert violations == []
