"""The one way in: a student's access code becomes an open response, for the phone pages and the API alike.

``access_code_enter`` runs the whole sequence (throttle, resolve the code,
withdrawal, guardian consent, open the response); ``student_session_response``
checks on every later request of a student's session that the code is still
valid, the respondent not withdrawn and the session not idle past the study's
limit. Callers only translate the outcome into a page or an API answer.
"""

import enum
import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError

from common import throttle
from safeguarding.selectors import consent_allows_answering
from studies.instruments import deferring_texts

from .models import AccessCode, Response
from .services import access_code_resolve, response_open

logger = logging.getLogger(__name__)

SESSION_RESPONSE = "student_response_id"
SESSION_CODE = "student_access_code_id"
SESSION_SEEN = "student_seen_at"
SESSION_LANG = "student_lang"
SEEN_RESOLUTION_S = 15  # the last-seen stamp is rewritten at most this often (a session write per page otherwise)


class Refusal(enum.StrEnum):
    LOCKED = "locked"  # too many wrong codes from this device or address
    INVALID = "invalid"  # unknown, revoked, or the wave is closed
    WITHDRAWN = "withdrawn"  # the child or guardian withdrew
    CONSENT = "consent"  # the study requires a guardian's consent, not (yet) given


@dataclass(frozen=True)
class Entry:
    response: Response | None = None
    access_code: AccessCode | None = None
    refusal: Refusal | None = None


def access_code_enter(*, code: str, client: throttle.Client, lang: str) -> Entry:
    """Let a student in with a code, or say why not; a wrong code is counted against the client."""
    if throttle.is_locked(client):
        return Entry(refusal=Refusal.LOCKED)
    access_code = access_code_resolve(code=code)
    if access_code is None:
        throttle.record_failure(client=client, code=code)
        return Entry(refusal=Refusal.INVALID)
    if access_code.respondent.withdrawn_at is not None:
        return Entry(access_code=access_code, refusal=Refusal.WITHDRAWN)
    if not consent_allows_answering(respondent_id=access_code.respondent_id, wave=access_code.wave):
        return Entry(access_code=access_code, refusal=Refusal.CONSENT)
    try:
        response = response_open(access_code=access_code, lang=lang)
    except IntegrityError:  # two first requests at once: the other one created it
        response = response_open(access_code=access_code, lang=lang)
    return Entry(response=response, access_code=access_code)


def student_session_start(*, session, entry: Entry, lang: str) -> None:
    """A new student on this phone: nothing of the previous session survives (flush, then the new keys)."""
    session.flush()
    session[SESSION_RESPONSE] = entry.response.pk
    session[SESSION_CODE] = entry.access_code.pk
    session[SESSION_LANG] = lang
    session[SESSION_SEEN] = int(time.time())


class SessionEnded(enum.StrEnum):
    NONE = "none"  # no student session
    REVOKED = "revoked"  # the code was revoked or the respondent withdrew since entry
    IDLE = "idle"  # longer than the study's idle limit without a request


@dataclass(frozen=True)
class SessionState:
    response: Response | None
    ended: SessionEnded | None = None


def student_session_response(*, session) -> SessionState:
    """The session's response if its code is still valid and it was not idle too long (one indexed query).

    An ended session is flushed (the language is kept), so that the next
    student on a shared phone starts from the code page.
    """
    response_id, code_id = session.get(SESSION_RESPONSE), session.get(SESSION_CODE)
    if not response_id:
        return SessionState(None, SessionEnded.NONE)
    response = response_of_code(response_id=response_id, code_id=code_id)
    now = int(time.time())
    if response is None:
        _session_end(session)
        return SessionState(None, SessionEnded.REVOKED)
    seen = session.get(SESSION_SEEN) or now
    limit = response.wave.study.idle_limit.total_seconds()
    if now - seen > limit:
        logger.info("response %s: session ended after %d s idle", response.pk, now - seen)
        _session_end(session)
        return SessionState(None, SessionEnded.IDLE)
    if now - seen >= min(SEEN_RESOLUTION_S, limit / 10) or SESSION_SEEN not in session:
        session[SESSION_SEEN] = now
    return SessionState(response)


def response_of_code(*, response_id: int, code_id: int | None) -> Response | None:
    """The response if the code it was entered with is still valid and the respondent not withdrawn (one query)."""
    if not code_id:
        return None
    return (
        Response.objects.select_related("wave__instrument", "wave__study", "respondent")
        .defer(*deferring_texts("wave__instrument"))
        .filter(
            pk=response_id,
            respondent__withdrawn_at__isnull=True,
            respondent__access_codes__pk=code_id,
            respondent__access_codes__revoked_at__isnull=True,
        )
        .first()
    )


def _session_end(session) -> None:
    lang = session.get(SESSION_LANG)
    session.flush()
    if lang:
        session[SESSION_LANG] = lang
