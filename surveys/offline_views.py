"""The installable, offline questionnaire: service worker, manifest, a code's bundle and the queue's endpoint.

See ``surveys/offline.py`` for what the phone keeps; the page script is
``static/surveys/questionnaire.js`` with ``static/surveys/offline-store.js``
(IndexedDB and the send queue, shared with the service worker).
"""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from scoring.instrument import LANGUAGES
from studies.instruments import instrument_for

from .entry import SESSION_CODE
from .forms import SectionForm, valid_shown
from .offline import offline_bundle, offline_token_response
from .services import ResponseClosed, response_save_page, response_submit
from .views import REVIEW, age_now, int_or_none, page_after, section_codes, student_view

# The files every page needs, cached by the service worker when it installs (hashed names in production).
APP_FILES = ("surveys/student.css", "surveys/questionnaire.js", "surveys/offline-store.js", "surveys/icon.svg")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the root so that its scope covers every page; never cached by HTTP."""
    files = [static(name) for name in APP_FILES]
    context = {"files": json.dumps(files), "store": json.dumps(static("surveys/offline-store.js"))}
    reply = render(request, "student/sw.js", context, content_type="text/javascript; charset=utf-8")
    add_never_cache_headers(reply)
    return reply


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installable, opens on the code page."""
    data = {
        "name": "问卷 · Questionnaire",
        "short_name": "问卷",
        "lang": LANGUAGES[0],
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "icons": [{"src": static("surveys/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    reply = JsonResponse(data, content_type="application/manifest+json")
    reply["Cache-Control"] = "no-cache"
    return reply


@require_GET
@student_view
def bundle(request, response, instrument):
    """This code's questionnaire for the phone (JSON); sent no-store like every page of the student."""
    return JsonResponse(offline_bundle(response=response, instrument=instrument, code_id=request.session.get(SESSION_CODE)))


def _reply(status: str, http_status: int = 200, **data) -> JsonResponse:
    return JsonResponse({"status": status, **data}, status=http_status)


@csrf_exempt  # authenticated by the token in the body, never by a cookie: nothing ambient to forge
@require_POST
def sync(request: HttpRequest) -> JsonResponse:
    """One queued write of a phone: a page save or the submission, each with its client id (a retry writes nothing)."""
    try:
        payload = json.loads(request.body or b"")
    except ValueError:
        return _reply("invalid", 400)
    if not isinstance(payload, dict):
        return _reply("invalid", 400)
    response = offline_token_response(payload.get("token"))
    if response is None:
        return _reply("ended", 403)
    client_id = str(payload.get("id") or "")[:64]
    if not client_id:
        return _reply("invalid", 400)
    active_seconds = int_or_none(payload.get("active_seconds"))
    if payload.get("kind") == "submit":
        submission = response_submit(response_id=response.pk, submission_key=client_id, active_seconds=active_seconds)
        return _reply("submitted", created=submission.created)
    return _sync_page(response, payload, client_id, active_seconds)


def _sync_page(response, payload, client_id, active_seconds) -> JsonResponse:
    instrument = instrument_for(response.wave.instrument)
    sections = section_codes(instrument)
    section, answers, lang = payload.get("section"), payload.get("answers"), payload.get("lang")
    if section not in sections or not isinstance(answers, dict) or payload.get("move") not in ("next", "back", "stay"):
        return _reply("invalid", 400)
    lang = lang if lang in LANGUAGES else response.lang
    data = {code: "" if value is None else str(value) for code, value in answers.items()}
    form = SectionForm(data, instrument=instrument, section=section, lang=lang, age=age_now(response))
    valid = form.is_valid()
    switch = bool(payload.get("switch"))
    if not valid and not switch:
        return _reply("invalid", 400, errors={code: [str(e) for e in errors] for code, errors in form.errors.items()})
    try:
        saved = response_save_page(
            response_id=response.pk,
            section=section,
            answers=form.answers() if valid else form.valid_answers(),
            shown=valid_shown(payload.get("shown")) or {},
            revision=int_or_none(payload.get("revision")),
            order=[*sections, REVIEW],
            lang=lang,
            next_section=page_after(sections, section, payload["move"]),
            active_seconds=active_seconds,
            device=str(payload.get("device") or "")[:32],
            client_id=client_id,
        )
    except ResponseClosed:
        return _reply("closed", 410)
    conflicts = {code: list(pair) for code, pair in saved.conflicts.items()}
    return _reply("conflict" if conflicts else "saved", conflicts=conflicts, revision=saved.response.revision)
