"""The offline copy of a code: its bundle, the empty page templates, the service worker and the manifest."""

import json

import pytest
from django.urls import reverse

from scoring.instrument import LANGUAGES, default_instrument
from surveys.offline import offline_key
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db

INSTRUMENT = default_instrument()


def test_the_bundle_is_the_instrument_and_rules_of_the_server_forms_in_both_languages(access_code):
    phone = Device(access_code.code, start=True)
    phone.answer("about")
    reply = phone.client.get(reverse("surveys:offline_bundle"))
    assert reply.status_code == 200 and "no-store" in reply["Cache-Control"]
    bundle = reply.json()
    assert [s["code"] for s in bundle["sections"]] == [s.code for s in INSTRUMENT.sections]
    assert all(list(s["items"]) == list(INSTRUMENT.section(s["code"]).items) for s in bundle["sections"])
    items = bundle["items"]
    assert {code for code, item in items.items() if item["required"]} == {"birth_year", "birth_month", "parent_away"}
    assert items["mother_away"]["when"] == ["parent_away", "==", 1, 0]
    assert items["res_child_05"]["when"] == ["age", ">=", 5, 1]
    assert set(items["dep1"]["text"]) == set(LANGUAGES) and items["dep1"]["options"]["5"]["zh-hans"] == "总是"
    assert bundle["answers"]["birth_month"] == 1 and "dep1" not in bundle["answers"]
    assert bundle["revision"] == 1 and bundle["key"] == offline_key(access_code.respondent.responses.get().pk)
    assert bundle["messages"]["zh-hans"]["sent"] == "已发送。" and bundle["messages"]["en"]["sent"] == "Sent."
    assert len(bundle["pages"]) == 2 * (len(INSTRUMENT.sections) + 1)
    assert len(json.dumps(bundle).encode()) < 200_000


def test_no_bundle_without_a_student_session(client):
    reply = client.get(reverse("surveys:offline_bundle"))
    assert reply.status_code == 302 and reply["Location"].startswith(reverse("surveys:entry"))


def test_page_templates_hold_no_answers_and_every_year(access_code):
    phone = Device(access_code.code, start=True)
    page = phone.client.get(reverse("surveys:section", args=["residence_history"]) + "?offline=en")
    assert page.status_code == 200  # no birth date yet: the template still has every year
    text = page.content.decode()
    assert text.count('class="year"') == 12 and 'data-template="1"' in text and '<html lang="en">' in text
    phone.answer("about")
    about = phone.client.get(reverse("surveys:section", args=["about"]) + "?offline=zh-hans").content.decode()
    assert " selected>" not in about.replace('value="" selected>', "") and 'name="shown" value=""' in about
    assert phone.client.session["student_lang"] == "zh-hans"
    review = phone.client.get(reverse("surveys:review") + "?offline=en").content.decode()
    assert 'data-template="1"' in review and review.count("data-section=") == len(INSTRUMENT.sections)


def test_a_template_request_leaves_the_next_pages_message(access_code):
    phone = Device(access_code.code, start=True)
    reply = phone.client.get(reverse("surveys:section", args=["residence_history"]))  # no birth date: a message
    assert reply.status_code == 302
    phone.client.get(reverse("surveys:section", args=["rsca"]) + "?offline=en")  # the phone caching its copy
    page = phone.client.get(reply["Location"]).content.decode()
    assert "出生" in page and 'class="notice' in page


def test_a_page_opened_with_a_language_keeps_it(access_code):
    phone = Device(access_code.code, start=True)
    page = phone.client.get(reverse("surveys:section", args=["about"]) + "?lang=en")
    assert '<html lang="en">' in page.content.decode() and phone.client.session["student_lang"] == "en"


def test_service_worker_at_the_root_never_cached_and_manifest(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert "no-cache" in worker["Cache-Control"] and "max-age=0" in worker["Cache-Control"]
    body = worker.content.decode()
    assert "/static/surveys/questionnaire" in body and "importScripts(" in body and "{{" not in body
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/" and data["display"] == "standalone" and data["icons"][0]["src"].startswith("/static/")


def test_pages_link_the_manifest_and_carry_the_offline_key(access_code, client):
    entry = client.get(reverse("surveys:entry")).content.decode()
    assert 'rel="manifest"' in entry and "data-offline-key" not in entry  # no code, nothing to keep
    phone = Device(access_code.code, start=True)
    page = phone.client.get(reverse("surveys:section", args=["about"])).content.decode()
    assert f'data-offline-key="{offline_key(access_code.respondent.responses.get().pk)}"' in page


def test_production_policy_allows_the_worker_and_manifest_from_the_site_only():
    from tests.paths import ROOT

    settings_text = (ROOT / "config" / "settings" / "production.py").read_text()
    assert '"worker-src": ["\'self\'"]' in settings_text and '"manifest-src": ["\'self\'"]' in settings_text
