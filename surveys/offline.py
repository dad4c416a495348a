"""The questionnaire on the phone: what a code's offline copy holds, and the token its queue sends with.

Once a student has entered a code and opened a page, the page script stores
the *bundle* of that code in IndexedDB (the instrument's items in both
languages, the rules the server forms apply — required items, ``asked_when``,
the residence years — the saved answers and the response's revision) and
caches each page's HTML, rendered by the server as an empty template
(``?offline=LANG``); the script fills the pages from IndexedDB. Everything
here is built from the same ``Instrument`` and form rules the server pages use.

Queued saves are sent with a signed *token* (response and access code), not
the session: a child answering at home for an hour is past the session's idle
limit when the network returns, yet their answers must arrive. The token is
as strong as the code itself, checked on every use (code not revoked, child
not withdrawn) and removed from the phone with the rest once the submission
is confirmed.
"""

from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from scoring.instrument import LANGUAGES, Instrument

from .entry import response_of_code
from .forms import RESIDENCE_SECTION, required_items
from .models import Response

TOKEN_SALT = "surveys.offline.token"
TOKEN_MAX_AGE_S = 60 * 60 * 24 * 30  # a wave is answered within weeks; the code itself stays valid longer


def offline_key(response_id: int) -> str:
    """The name of a code's local data on the phone (IndexedDB database, page cache): no id, no code."""
    return salted_hmac("surveys.offline.key", str(response_id)).hexdigest()[:20]


def offline_token(*, response_id: int, code_id: int) -> str:
    return signing.dumps([response_id, code_id], salt=TOKEN_SALT, compress=True)


def offline_token_response(token: str) -> Response | None:
    """The response a queued write is for, or None (bad or old token, code revoked, child withdrawn)."""
    try:
        response_id, code_id = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return response_of_code(response_id=response_id, code_id=code_id)


def _condition(variable) -> list | None:
    condition = variable.asked_when
    return None if condition is None else [condition.subject, condition.op, condition.value, condition.offset]


def _messages(instrument: Instrument) -> dict:
    """The texts the page script shows offline, in both languages (gettext, so one translation file)."""
    texts = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            texts[lang] = {
                "required": _("Please answer this question: %(question)s"),
                "check": _("Please check the answers marked below."),
                "local": _("Saved on this phone. It will be sent when the phone is online."),
                "sent": _("Sent."),
                "queued": _("Your answers are saved on this phone and will be sent when the phone is online. Keep this page, or open it again later."),
                "received": _("Your answers have been received."),
                "conflict_page": _(
                    "Some answers on this page were changed on another device while you were answering here. "
                    "Your other answers are saved. For each question marked below, choose the answer to keep, then save again."
                ),
                "conflict_note": _(
                    "Saved from another device: <strong>%(saved)s</strong>. Your answer on this page: "
                    "<strong>%(mine)s</strong>. Choose the one to keep."
                ),
                "conflict_elsewhere": _("Some answers were changed on another device. Please check these pages:"),
                "no_answer": _("(no answer)"),
                "count": _("%(answered)s of %(asked)s answered"),
                "idle": _("Your session ended because the phone was not used for a while. Enter your code to continue."),
                "birth_first": _("Please give your year and month of birth first."),
            }
    return texts


def offline_bundle(*, response: Response, instrument: Instrument, code_id: int) -> dict:
    """Everything the phone needs to show, check and queue every page of this code without a network."""
    required = required_items(instrument)
    sections = [
        {"code": section.code, "title": {lang: section.text(lang) for lang in LANGUAGES}, "items": list(section.items)}
        for section in instrument.sections
    ]
    items = {}
    for section in instrument.sections:
        for code in section.items:
            variable = instrument[code]
            items[code] = {
                "section": section.code,
                "required": code in required,
                "when": _condition(variable),
                "text": {lang: variable.text(lang) for lang in LANGUAGES},
                "options": {str(o.code): {lang: o.text(lang) for lang in LANGUAGES} for o in variable.options}
                if section.code != RESIDENCE_SECTION
                else list(variable.option_codes),
            }
    urls = {section["code"]: reverse("surveys:section", args=[section["code"]]) for section in sections}
    urls["review"] = reverse("surveys:review")
    return {
        "key": offline_key(response.pk),
        "token": offline_token(response_id=response.pk, code_id=code_id),
        "sync": reverse("surveys:offline_sync"),
        "urls": urls,
        "done": reverse("surveys:done"),
        "languages": list(LANGUAGES),
        "idle_limit_s": int(response.wave.study.idle_limit.total_seconds()),
        "residence": {"section": RESIDENCE_SECTION, "persons": ["child", "father", "mother"]},
        "sections": sections,
        "items": items,
        "pages": [f"{url}?offline={lang}" for url in urls.values() for lang in LANGUAGES],
        "answers": response.answers,
        "revision": response.revision,
        "messages": _messages(instrument),
    }
