"""Writes: opening, saving and submitting responses, and scoring them.

A submission is stored and committed before it is scored, so a failure in
scoring never loses answers; scoring that could not run is retried by the
Celery task ``score_pending`` (and the periodic sweep behind it).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import NotAllowed
from common.outbox import enqueue
from safeguarding.models import Alert, SafeguardingRule
from safeguarding.services import safeguarding_check
from studies.instruments import deferring_texts, instrument_for
from studies.models import Respondent, Wave

from .frames import scoring_input
from .models import AccessCode, AnswerChange, PageReceipt, Response, Score
from .scores import scores_write, waves_data_changed

logger = logging.getLogger(__name__)


class ResponseClosed(Exception):
    """The response was submitted already: its answers can no longer change."""


def retry_when_database_restarts(func, *, attempts: int = 8, first_delay: float = 0.2):
    """Retry a write whose database connection broke (a restart, a failover): about 15 s in all.

    Safe because every wrapped write is idempotent: saving a page merges the
    same answers again, and submitting finds a submission already made.
    """

    @wraps(func)
    def wrapper(*args, **kwargs):
        delay = first_delay
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError) as error:
                if connection.in_atomic_block or attempt == attempts:
                    raise
                logger.warning("database unavailable (%s), retry %d of %s in %.1f s", error, attempt, func.__name__, delay)
                connection.close()
                time.sleep(delay)
                delay = min(delay * 2, 3.0)

    return wrapper


def access_code_resolve(*, code: str) -> AccessCode | None:
    """The active code of an open wave, or None (unknown, revoked or closed are all just 'not valid')."""
    return (
        AccessCode.objects.select_related("respondent", "wave", "wave__instrument", "wave__study")
        .defer(*deferring_texts("wave__instrument"))
        .filter(code=code, revoked_at__isnull=True, wave__is_open=True)
        .first()
    )


def response_open(*, access_code: AccessCode, lang: str) -> Response:
    """The respondent's response to the wave, created as a draft on first entry."""
    response, created = Response.objects.get_or_create(
        respondent=access_code.respondent,
        wave=access_code.wave,
        defaults={
            "lang": lang,
            "instrument_version": access_code.wave.instrument.version,
            "school_class_id": access_code.respondent.school_class_id,
        },
    )
    if created:
        logger.info("response %s opened", response.pk)
    return response


def _active_seconds(response: Response, now, reported: int | None) -> int:
    """Seconds of work since the last save: the page's own count when plausible, else wall time, capped."""
    if response.last_activity_at is None:
        return 0
    wall = max(0, int((now - response.last_activity_at).total_seconds()))
    measured = wall if reported is None else min(max(reported, 0), wall)
    return min(measured, settings.ACTIVE_TIME_CAP_S)


@transaction.atomic
def response_start(*, response_id: int, lang: str) -> Response:
    """The student gave assent: the clock of active time starts."""
    response = Response.objects.select_for_update().get(pk=response_id)
    if response.started_at is None and not response.is_submitted:
        now = timezone.now()
        response.started_at = now
        response.last_activity_at = now
        response.lang = lang
        response.save(update_fields=["started_at", "last_activity_at", "lang"])
    return response


@dataclass(frozen=True)
class PageSave:
    """What a page save did: the response after it, and the answers another device changed meanwhile."""

    response: Response
    # item code -> (the value this page sent, the value saved meanwhile by another device or tab)
    conflicts: dict = field(default_factory=dict)
    replayed: bool = False  # a retry of a save already made (same client id): nothing was written


def page_changes(*, stored: dict, answers: dict, shown: dict | None) -> tuple[dict, dict]:
    """(changes to apply, conflicts) of a page's ``answers`` against the ``stored`` ones.

    ``shown`` are the values the page was displayed with. Only answers the
    student changed on the page (sent != shown) are applied; one that another
    device changed meanwhile (stored != shown) to something else is a
    conflict, left as stored. Without ``shown`` (the API's whole-submission
    write), every answer sent is applied.
    """
    changes, conflicts = {}, {}
    for code, mine in answers.items():
        saved = stored.get(code)
        if mine == saved:
            continue
        if shown is None:
            changes[code] = mine
            continue
        before = shown.get(code)
        if mine == before:
            continue  # not changed on this page: whatever is stored stays
        if saved != before:
            conflicts[code] = (mine, saved)
        else:
            changes[code] = mine
    return changes, conflicts


def _resume_section(response: Response, next_section: str, *, up_to_date: bool, order: list[str] | None) -> str:
    """Where the student resumes: the page they move to, never back behind it from a stale page."""
    current = response.current_section
    if up_to_date or not order or not current or current not in order or next_section not in order:
        return next_section
    return next_section if order.index(next_section) > order.index(current) else current


@retry_when_database_restarts
@transaction.atomic
def response_save_page(
    *,
    response_id: int,
    section: str,
    answers: dict,
    lang: str,
    next_section: str,
    shown: dict | None = None,
    revision: int | None = None,
    order: list[str] | None = None,
    active_seconds: int | None = None,
    device: str = "",
    source: str = AnswerChange.Source.PAGE,
    client_id: str = "",
) -> PageSave:
    """Apply the answers changed on one page to the draft, under one row lock; idempotent.

    ``shown`` (the values the page displayed) and ``revision`` (the response's
    revision the page was displayed with) say what the page was based on: an
    answer another device changed since is reported as a conflict, not
    overwritten, and a stale page never moves the resume point backwards.
    Every answer written is appended to the answer history (one bulk insert).
    A ``client_id`` (made by the phone for each page it sends) makes a retry
    return the first outcome without writing again.
    """
    response = Response.objects.select_for_update().get(pk=response_id)
    client_id = client_id[:64]
    if client_id:
        receipt = PageReceipt.objects.filter(response=response, client_id=client_id).first()
        if receipt is not None:
            return PageSave(response, {code: tuple(pair) for code, pair in receipt.conflicts.items()}, replayed=True)
    if response.is_submitted:
        raise ResponseClosed
    now = timezone.now()
    up_to_date = revision is not None and revision == response.revision
    changes, conflicts = page_changes(stored=response.answers, answers=answers, shown=shown)
    fields = ["duration_s", "started_at", "last_activity_at", "lang"]
    if changes:
        history = [
            AnswerChange(
                response_id=response.pk, code=code, old_value=response.answers.get(code), new_value=value,
                changed_at=now, revision=response.revision + 1, device=device[:32], source=source,
            )
            for code, value in changes.items()
        ]
        merged = {**response.answers, **changes}
        response.answers = {code: value for code, value in merged.items() if value is not None}
        response.revision += 1
        fields += ["answers", "revision"]
    if not conflicts:
        response.current_section = _resume_section(response, next_section, up_to_date=up_to_date, order=order)
        fields.append("current_section")
    response.duration_s = (response.duration_s or 0) + _active_seconds(response, now, active_seconds)
    response.started_at = response.started_at or now
    response.last_activity_at = now
    response.lang = lang
    response.save(update_fields=fields)
    if changes:
        AnswerChange.objects.bulk_create(history)
    if client_id:
        PageReceipt.objects.create(response=response, client_id=client_id, conflicts={c: list(p) for c, p in conflicts.items()})
    return PageSave(response, conflicts)


def answers_record_imported(*, response_answers) -> None:
    """The answer history of imported responses: each answer written from nothing, source ``import``."""
    now = timezone.now()
    AnswerChange.objects.bulk_create(
        [
            AnswerChange(response_id=response_id, code=code, new_value=value, changed_at=now, revision=0, source=AnswerChange.Source.IMPORT)
            for response_id, answers in response_answers
            for code, value in answers.items()
        ],
        batch_size=5000,
    )


@dataclass(frozen=True)
class Submission:
    response: Response
    created: bool  # False when this call found the response submitted already


@retry_when_database_restarts
def response_submit(*, response_id: int, submission_key: str = "", active_seconds: int | None = None) -> Submission:
    """Submit once: a double tap, a retry or a second tab find the submission already made.

    The status changes under a row lock, and the call that changed it scores;
    the others return the stored submission (scoring it only if a lost reply
    left it unscored).
    """
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        already_submitted = response.is_submitted
        if not already_submitted:
            _mark_submitted(response, submission_key, active_seconds)
    if already_submitted:
        if not Score.objects.filter(response=response).exists():  # a retry after a lost reply
            response_score_safely(response=response)
        return Submission(response, created=False)
    response_score_safely(response=response)
    _safeguarding_check_safely(response=response)
    return Submission(response, created=True)


def _safeguarding_check_safely(*, response: Response) -> None:
    """Distress rules: raise an alert for the counsellor; never fails a submission (the sweep checks again)."""
    try:
        response_safeguard(response_id=response.pk)
    except Exception:
        logger.exception("safeguarding check of response %s failed", response.pk)


def response_safeguard(*, response_id: int) -> Alert | None:
    """The study's distress rules on one submitted response, read with what the alert records."""
    response = Response.objects.select_related("respondent", "school_class__school", "wave", "score").get(pk=response_id)
    return safeguarding_check(response=response)


def _mark_submitted(response: Response, submission_key: str, active_seconds: int | None) -> None:
    now = timezone.now()
    response.duration_s = (response.duration_s or 0) + _active_seconds(response, now, active_seconds)
    response.status = Response.Status.SUBMITTED
    response.submitted_at = now
    response.started_at = response.started_at or now
    response.last_activity_at = now
    response.submission_key = submission_key[:64]
    response.save()


def response_score(*, response: Response) -> None:
    """Score one submitted response with the same engine (and the same writer) that scores a whole wave."""
    instrument = instrument_for(response.wave.instrument)
    row = {"id": response.pk, "answers": response.answers, "submitted_at": response.submitted_at, "duration_s": response.duration_s}
    scores_write(wave_id=response.wave_id, scoring_input=scoring_input([row], instrument), instrument=instrument)


def response_score_safely(*, response: Response) -> None:
    """Score now; if that fails, leave the submission stored and queue a retry."""
    try:
        response_score(response=response)
    except Exception:  # the submission is safe; scoring is retried by the worker
        logger.exception("scoring response %s failed; queued for retry", response.pk)
        enqueue("surveys.tasks.score_pending")


def wave_rescore(*, wave: Wave) -> int:
    """Re-score every submitted response of a wave after a rule change: one frame, one bulk write."""
    instrument = instrument_for(wave.instrument)
    rows = list(
        Response.objects.filter(wave=wave, status=Response.Status.SUBMITTED).values(
            "id", "answers", "submitted_at", "duration_s"
        )
    )
    if not rows:
        return 0
    return scores_write(wave_id=wave.pk, scoring_input=scoring_input(rows, instrument), instrument=instrument, existing="replace_wave")


def responses_score_pending() -> int:
    """Score the submitted responses that have no score (scoring failed): one frame per wave, one bulk write.

    Safeguarding rules for them are checked by the schools app's periodic sweep.
    """
    pending = Response.objects.filter(status=Response.Status.SUBMITTED, score__isnull=True)
    count = 0
    for wave in Wave.objects.filter(pk__in=pending.values("wave_id")).select_related("instrument"):
        instrument = instrument_for(wave.instrument)
        rows = list(pending.filter(wave=wave).values("id", "answers", "submitted_at", "duration_s"))
        # "keep": a retried submission may have scored one of them meanwhile
        count += scores_write(wave_id=wave.pk, scoring_input=scoring_input(rows, instrument), instrument=instrument, existing="keep")
    return count


# --- Late safeguarding checks, withdrawal and deletion ------------------------------------------------


def safeguarding_sweep(*, hours: int = 48) -> int:
    """Check recent submissions again (scored late after a scoring failure, or a check that failed).

    Run after scoring what was pending (``score_pending``, every five minutes); idempotent (one alert per child and wave).
    Imported responses are history, not a child in front of a screen: not checked.
    """
    since = timezone.now() - timedelta(hours=hours)
    studies = SafeguardingRule.objects.filter(is_active=True).values("study_id")
    pending = (
        Response.objects.filter(
            status=Response.Status.SUBMITTED,
            submitted_at__gte=since,
            respondent__study__in=studies,
            respondent__withdrawn_at__isnull=True,
        )
        .exclude(source="import")
        .exclude(respondent__alerts__wave_id=models.F("wave_id"))
    )
    raised = 0
    for response in pending.iterator(chunk_size=500):
        try:
            raised += response_safeguard(response_id=response.pk) is not None
        except Exception:
            logger.exception("safeguarding sweep: response %s", response.pk)
    return raised


@transaction.atomic
def respondent_withdraw(*, actor, respondent: Respondent) -> Respondent:
    """The child or guardian stops: out of every export and analysis; codes revoked; answers kept until deleted."""
    now = timezone.now()
    if respondent.withdrawn_at is None:
        respondent.withdrawn_at = now
        respondent.save(update_fields=["withdrawn_at"])
        AccessCode.objects.filter(respondent=respondent, revoked_at__isnull=True).update(revoked_at=now)
        audit_record(actor=actor, action="respondent.withdraw", target=f"pid {respondent.pid}", study=respondent.study)
    return respondent


@transaction.atomic
def respondent_answers_delete(*, actor, respondent: Respondent) -> int:
    """Delete a withdrawn child's answers and scores (study administrator), leaving a record that it was done."""
    if respondent.withdrawn_at is None:
        raise NotAllowed("only a withdrawn respondent's answers can be deleted")
    responses = Response.objects.filter(respondent=respondent)
    rows = list(responses.values_list("wave_id", "wave__code"))
    waves = [code for _, code in rows]
    deleted = len(waves)
    responses.delete()
    waves_data_changed(wave_ids=[wave_id for wave_id, _ in rows])
    audit_record(
        actor=actor,
        action="respondent.answers_delete",
        target=f"pid {respondent.pid}",
        study=respondent.study,
        details={"responses": deleted, "waves": waves},
    )
    return deleted
