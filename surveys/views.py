"""The phone questionnaire: code entry, assent, one page per section, review, submit.

The student is known by the access code they typed, kept in the session; the
URL never carries the code. Every page posts its answers to the server before
the next one is shown, so a closed tab loses at most the page in hand.
"""

import secrets
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common import throttle
from safeguarding.selectors import response_help
from scoring.instrument import LANGUAGES, Instrument, completed_age
from studies.instruments import instrument_for

from .entry import (
    SESSION_LANG,
    SESSION_RESPONSE,
    Refusal,
    SessionEnded,
    access_code_enter,
    student_session_response,
    student_session_start,
)
from .forms import RESIDENCE_SECTION, AccessCodeForm, AssentForm, SectionForm, decode_shown, encode_shown, page_item_codes
from .models import Response
from .offline import offline_key
from .services import (
    ResponseClosed,
    response_save_page,
    response_start,
    response_submit,
)

SESSION_DEVICE = "student_device"
SCRIPT_HEADER = "X-Questionnaire-Script"
REVIEW = "review"
ASSENT = "assent"
DONE = "done"


SESSION_END_MESSAGES = {
    SessionEnded.REVOKED: lambda: _("This access code is no longer valid. Please ask your teacher."),
    SessionEnded.IDLE: lambda: _("Your session ended because the phone was not used for a while. Enter your code to continue."),
}
REFUSAL_MESSAGES = {
    Refusal.LOCKED: lambda: _("Too many attempts. Please wait 15 minutes, or ask your teacher for help."),
    Refusal.INVALID: lambda: _("This access code is not valid. Check it with your teacher and try again."),
    Refusal.WITHDRAWN: lambda: _("This questionnaire is closed for you. Please ask your teacher."),
    Refusal.CONSENT: lambda: _("Your guardian's consent has not been recorded yet. Please ask your teacher."),
}


def _lang(request: HttpRequest, response: Response | None = None) -> str:
    lang = request.session.get(SESSION_LANG) or (response.lang if response else None) or LANGUAGES[0]
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _activate(request: HttpRequest, lang: str) -> None:
    translation.activate(lang)
    request.LANGUAGE_CODE = lang


def student_view(view):
    """Load the student's response from the session and speak the student's language."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        state = student_session_response(session=request.session)
        response = state.response
        if response is None:
            _activate(request, _lang(request))
            if state.ended == SessionEnded.NONE:
                messages.info(request, _("Please enter your access code."))
                return redirect("surveys:entry")
            # Said by the URL, not a message: the page script follows the redirect twice.
            return redirect(f"{reverse('surveys:entry')}?ended={state.ended}")
        if request.method == "GET" and request.GET.get("lang") in LANGUAGES:
            request.session[SESSION_LANG] = request.GET["lang"]  # the language chosen on the phone while offline
        _activate(request, _lang(request, response))
        instrument = instrument_for(response.wave.instrument)
        page = view(request, response, instrument, *args, **kwargs)
        add_never_cache_headers(page)  # a shared phone's Back button reloads, never shows a cached child's answers
        return page

    return wrapper


def script_navigation(view):
    """A form sent by the page script learns where to go from a header instead of a followed redirect.

    The script then navigates there itself: one real navigation (a history
    entry, as the no-script form's Post/Redirect/Get makes) and the next
    page's messages are shown, not consumed by a background request.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        result = view(request, *args, **kwargs)
        if request.method == "POST" and request.headers.get(SCRIPT_HEADER) and result.status_code in (301, 302, 303):
            reply = HttpResponse(status=204)
            reply["X-Location"] = result["Location"]
            reply.cookies = result.cookies
            return reply
        return result

    return wrapper


def section_codes(instrument: Instrument) -> list[str]:
    return [section.code for section in instrument.sections]


def _resume_url(response: Response, instrument: Instrument):
    if response.is_submitted:
        return redirect("surveys:done")
    if response.started_at is None:
        return redirect("surveys:assent")
    section = response.current_section or section_codes(instrument)[0]
    if section == REVIEW:
        return redirect("surveys:review")
    return redirect("surveys:section", section=section)


def _progress(sections: list[str], current: str) -> dict:
    """Assent 0 %, done 100 %, the sections and the review evenly in between; a step number on those pages only."""
    pages = [ASSENT, *sections, REVIEW]
    if current == DONE:
        return {"progress": 100, "step": None, "steps": None}
    position = pages.index(current)
    step = position if current != ASSENT else None
    return {"progress": round(100 * position / len(pages)), "step": step, "steps": len(pages) - 1}


def _context(request, response, instrument, **extra):
    sections = section_codes(instrument)
    current = extra.get("section_code") or REVIEW
    return {
        "response": response,
        "instrument": instrument,
        "lang": _lang(request, response),
        "languages": LANGUAGES,
        "offline_key": offline_key(response.pk),
        **_progress(sections, current),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    _activate(request, lang)
    client = throttle.client_of(request)
    form = AccessCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        entered = access_code_enter(code=form.cleaned_data["code"], client=client, lang=lang)
        if entered.response is not None:
            student_session_start(session=request.session, entry=entered, lang=lang)
            page = _resume_url(entered.response, instrument_for(entered.access_code.wave.instrument))
            throttle.device_cookie_set(page, client, trusted=True)
            return page
        form.add_error("code", REFUSAL_MESSAGES[entered.refusal]())
    ended = SESSION_END_MESSAGES.get(request.GET.get("ended", ""))
    context = {"form": form, "lang": lang, "languages": LANGUAGES, "ended": ended() if ended and not form.errors else None}
    page = render(request, "student/entry.html", context, status=400 if form.errors else 200)
    throttle.device_cookie_set(page, client)
    add_never_cache_headers(page)
    return page


@require_http_methods(["GET", "POST"])
@student_view
def assent(request, response, instrument):
    if response.is_submitted:
        return redirect("surveys:done")
    form = AssentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response_start(response_id=response.pk, lang=_lang(request, response))
        return redirect("surveys:section", section=section_codes(instrument)[0])
    return render(request, "student/assent.html", _context(request, response, instrument, form=form, section_code=ASSENT))


def age_now(response: Response) -> int | None:
    return completed_age(response.answers.get("birth_year"), response.answers.get("birth_month"), timezone.localdate())


def _with_same_as_previous(data, years) -> dict:
    """No-script fallback of "same as the year before": copy last year's answers into empty cells."""
    data = data.copy()
    for year in years:
        if year > 1 and data.get(f"same_{year:02d}"):
            for person in ("child", "father", "mother"):
                code, previous = f"res_{person}_{year:02d}", f"res_{person}_{year - 1:02d}"
                if not data.get(code) and data.get(previous):
                    data[code] = data[previous]
    return data


@script_navigation
@require_http_methods(["GET", "POST"])
@student_view
def section(request, response, instrument, section):
    sections = section_codes(instrument)
    if section not in sections:
        return redirect("surveys:section", section=sections[0])
    if response.is_submitted:
        if request.method == "POST":
            messages.warning(request, _("Your answers were already submitted, so this page was not saved."))
        return redirect("surveys:done")
    template_lang = _offline_template_lang(request)
    if template_lang:
        form = SectionForm(instrument=instrument, section=section, lang=template_lang, age=None)
        return _section_page(request, response, instrument, form, shown=None, revision=None, template_lang=template_lang)
    if response.started_at is None:
        return redirect("surveys:assent")
    age = age_now(response)
    if section == RESIDENCE_SECTION and age is None:
        messages.warning(request, _("Please give your year and month of birth first."))
        return redirect("surveys:section", section=instrument["birth_year"].section)
    if request.method == "POST":
        return _section_save(request, response, instrument, section, age)
    form = SectionForm(initial=response.answers, instrument=instrument, section=section, lang=_lang(request, response), age=age)
    return _section_page(request, response, instrument, form, shown=form.shown(response.answers), revision=response.revision)


def _section_save(request, response, instrument, section, age):
    """Save a page: only the answers changed on it; a language switch saves without validation."""
    switch_to = request.POST.get("lang")
    switch_to = switch_to if switch_to in LANGUAGES else None
    lang = _lang(request, response)
    form_kwargs = {"instrument": instrument, "section": section, "lang": lang, "age": age}
    data = _with_same_as_previous(request.POST, SectionForm(**form_kwargs).years)
    form = SectionForm(data, **form_kwargs)
    posted_shown = decode_shown(request.POST.get("shown"))
    posted_revision = int_or_none(request.POST.get("revision"))
    valid = form.is_valid()
    if not valid and not switch_to:
        messages.error(request, _("Please check the answers marked below."))
        return _section_page(request, response, instrument, form, shown=posted_shown, revision=posted_revision, status=400)
    if switch_to:
        lang = switch_to
        request.session[SESSION_LANG] = lang
        _activate(request, lang)
    move = "stay" if switch_to else "back" if "back" in request.POST else "next"
    sections = section_codes(instrument)
    next_section = page_after(sections, section, move)
    try:
        saved = response_save_page(
            response_id=response.pk,
            section=section,
            answers=form.answers() if valid else form.valid_answers(),
            shown=posted_shown or {},  # a page that says nothing of what it showed clears nothing
            revision=posted_revision,
            order=[*sections, REVIEW],
            lang=lang,
            next_section=next_section,
            active_seconds=int_or_none(request.POST.get("active_seconds")),
            device=_device(request),
            client_id=request.POST.get("client_id", ""),
        )
    except ResponseClosed:
        messages.warning(request, _("Your answers were already submitted, so this page was not saved."))
        return redirect("surveys:done")
    if saved.conflicts:
        return _conflict_page(request, saved, instrument, section)
    if next_section == REVIEW:
        return redirect("surveys:review")
    return redirect("surveys:section", section=next_section)


def page_after(sections: list[str], section: str, move: str) -> str:
    """The page a save leads to: the next one (or the review), the one before, or this one (a language switch)."""
    position = sections.index(section)
    if move == "stay":
        return section
    if move == "back" and position > 0:
        return sections[position - 1]
    return (sections + [REVIEW])[position + 1]


def _offline_template_lang(request) -> str | None:
    """``?offline=LANG`` on a GET: the page as an empty template, for the phone's offline copy of this code."""
    lang = request.GET.get("offline") if request.method == "GET" else None
    if lang in LANGUAGES:
        _activate(request, lang)
        return lang
    return None


def _conflict_page(request, saved, instrument, section):
    """Both answers, side by side, for each item another device changed meanwhile: the student chooses."""
    response = saved.response
    lang = _lang(request, response)
    age = age_now(response)
    mine = {code: values[0] for code, values in saved.conflicts.items()}
    form = SectionForm(initial={**response.answers, **mine}, instrument=instrument, section=section, lang=lang, age=age)
    form.mark_conflicts(saved.conflicts)
    return _section_page(
        request, response, instrument, form, shown=form.shown(response.answers), revision=response.revision, status=409
    )


def _section_page(request, response, instrument, form, *, shown, revision, status=200, template_lang=None):
    section = form.section.code
    template_extra = {"lang": template_lang, "offline_template": True} if template_lang else {}
    template = "student/residence.html" if section == RESIDENCE_SECTION else "student/section.html"
    context = _context(
        request,
        response,
        instrument,
        form=form,
        section=form.section,
        section_code=section,
        is_first=section == section_codes(instrument)[0],
        shown=encode_shown(shown) if shown is not None else "",
        revision="" if revision is None else revision,
        has_conflicts=any(getattr(form[code], "conflict", None) for code in form.fields),
        page_form="page-form",
        **template_extra,
    )
    return render(request, template, context, status=status)


def _device(request) -> str:
    """A random id of this browser's session, recorded with each answer written (never the address)."""
    if SESSION_DEVICE not in request.session:
        request.session[SESSION_DEVICE] = secrets.token_hex(8)
    return request.session[SESSION_DEVICE]


def int_or_none(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _summary(response: Response, instrument: Instrument, lang: str, *, blank: bool = False) -> list[dict]:
    """Per section: how many of the questions asked were answered, for the review page (``blank``: none, a template)."""
    age = age_now(response)
    answers = {} if blank else response.answers
    rows = []
    for section in instrument.sections:
        asked = [code for code in page_item_codes(instrument, section.code, age) if instrument[code].is_asked(answers, age)]
        answered = [code for code in asked if code in answers]
        rows.append(
            {
                "code": section.code,
                "title": section.text(lang),
                "asked": len(asked),
                "answered": len(answered),
                "missing": [instrument[code].text(lang) for code in asked if code not in answers][:5],
            }
        )
    return rows


@script_navigation
@require_http_methods(["GET", "POST"])
@student_view
def review(request, response, instrument):
    if response.is_submitted:
        return redirect("surveys:done")
    if request.method == "POST":
        response_submit(
            response_id=response.pk,
            submission_key=request.POST.get("submission_key", ""),
            active_seconds=int_or_none(request.POST.get("active_seconds")),
        )
        return redirect("surveys:done")
    template_lang = _offline_template_lang(request)
    if template_lang:
        summary = _summary(response, instrument, template_lang, blank=True)
        context = _context(
            request, response, instrument, summary=summary, section_code=REVIEW, lang=template_lang, offline_template=True
        )
        return render(request, "student/review.html", context)
    lang = _lang(request, response)
    summary = _summary(response, instrument, lang)
    missing_required = [
        row for row in summary if row["code"] == instrument["birth_year"].section and "birth_year" not in response.answers
    ]
    return render(
        request,
        "student/review.html",
        _context(request, response, instrument, summary=summary, missing_required=missing_required, section_code=REVIEW),
    )


@student_view
def done(request, response, instrument):
    if not response.is_submitted:
        return _resume_url(response, instrument)
    help_resources = response_help(response=response, lang=_lang(request, response))
    context = _context(request, response, instrument, section_code=DONE, help_resources=help_resources)
    return render(request, "student/done.html", context)


@script_navigation
@require_POST
def stop(request: HttpRequest) -> HttpResponse:
    """The right to stop: leave now; the answers given so far are kept and can be resumed with the code."""
    lang = request.session.get(SESSION_LANG)
    request.session.flush()
    if lang:
        request.session[SESSION_LANG] = lang
    _activate(request, _lang(request))
    messages.info(request, _("You have stopped. Your answers so far are saved; you can come back with your code."))
    return redirect("surveys:entry")


@script_navigation
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("lang")
    if lang in LANGUAGES:
        request.session[SESSION_LANG] = lang
        response_id = request.session.get(SESSION_RESPONSE)
        if response_id:
            Response.objects.filter(pk=response_id, status=Response.Status.DRAFT).update(lang=lang)
    next_url = request.POST.get("next") or "/"
    return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else "/")
