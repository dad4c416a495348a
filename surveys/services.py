"""Writes: opening, saving and submitting responses, and scoring them.

A submission is stored and committed before it is scored, so a failure in
scoring never loses answers; scoring that could not run is retried by the
Celery task ``score_pending`` (and the periodic sweep behind it).
"""

import logging
import time
from dataclasses import dataclass
from functools import wraps

import pandas as pd
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from scoring.engine import score_frame

from .dispatch import enqueue
from .frames import scoring_input
from .instruments import deferring_texts, instrument_for
from .models import AccessCode, Response, Score, Wave

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


@retry_when_database_restarts
@transaction.atomic
def response_save_page(
    *, response_id: int, section: str, answers: dict, lang: str, next_section: str, active_seconds: int | None = None
) -> Response:
    """Merge one page's answers into the draft (under a row lock, so two tabs never lose a page)."""
    response = Response.objects.select_for_update().get(pk=response_id)
    if response.is_submitted:
        raise ResponseClosed
    now = timezone.now()
    response.duration_s = (response.duration_s or 0) + _active_seconds(response, now, active_seconds)
    merged = {**response.answers, **{code: value for code, value in answers.items() if value is not None}}
    for code, value in answers.items():
        if value is None:
            merged.pop(code, None)
    response.answers = merged
    response.started_at = response.started_at or now
    response.last_activity_at = now
    response.current_section = next_section
    response.lang = lang
    response.save(update_fields=["answers", "duration_s", "started_at", "last_activity_at", "current_section", "lang"])
    return response


def response_drop_years_not_asked(*, response_id: int, years_asked: range, codes: list[str]) -> None:
    """Residence answers for years the child has not lived are not answers (after a birth date change)."""
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        stale = [code for code in codes if code in response.answers and int(code[-2:]) not in years_asked]
        if stale and not response.is_submitted:
            for code in stale:
                response.answers.pop(code)
            response.save(update_fields=["answers"])


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
    """Distress rules (schools app): raise an alert for the counsellor; never fails a submission."""
    try:
        from schools.services import safeguarding_check

        safeguarding_check(response=response)
    except Exception:
        logger.exception("safeguarding check of response %s failed", response.pk)


def _mark_submitted(response: Response, submission_key: str, active_seconds: int | None) -> None:
    now = timezone.now()
    response.duration_s = (response.duration_s or 0) + _active_seconds(response, now, active_seconds)
    response.status = Response.Status.SUBMITTED
    response.submitted_at = now
    response.started_at = response.started_at or now
    response.last_activity_at = now
    response.submission_key = submission_key[:64]
    response.save()


def response_score(*, response: Response) -> Score:
    """Score one submitted response with the same engine that scores a whole wave."""
    instrument = instrument_for(response.wave.instrument)
    row = {"id": response.pk, "answers": response.answers, "submitted_at": response.submitted_at, "duration_s": response.duration_s}
    derived = score_frame(scoring_input([row], instrument), instrument)
    score, _ = Score.objects.update_or_create(
        response=response, defaults={"values": json_values(derived).iloc[0], "instrument_version": instrument.version}
    )
    Wave.objects.filter(pk=response.wave_id).update(data_changed_at=timezone.now())
    return score


def response_score_safely(*, response: Response) -> Score | None:
    """Score now; if that fails, leave the submission stored and queue a retry."""
    try:
        return response_score(response=response)
    except Exception:  # the submission is safe; scoring is retried by the worker
        logger.exception("scoring response %s failed; queued for retry", response.pk)
        from .tasks import score_pending

        enqueue(score_pending)
        return None


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
    derived = json_values(score_frame(scoring_input(rows, instrument), instrument))
    with transaction.atomic():
        Score.objects.filter(response__wave=wave).delete()
        Score.objects.bulk_create(
            [Score(response_id=rid, values=values, instrument_version=instrument.version) for rid, values in derived.items()],
            batch_size=2000,
        )
        Wave.objects.filter(pk=wave.pk).update(data_changed_at=timezone.now())
    return len(rows)


def responses_score_pending() -> int:
    """Score the submitted responses that have no score (scoring failed): one frame per wave, one bulk write.

    Safeguarding rules for them are checked by the schools app's periodic sweep.
    """
    pending = Response.objects.filter(status=Response.Status.SUBMITTED, score__isnull=True)
    count = 0
    for wave in Wave.objects.filter(pk__in=pending.values("wave_id")).select_related("instrument"):
        instrument = instrument_for(wave.instrument)
        rows = list(pending.filter(wave=wave).values("id", "answers", "submitted_at", "duration_s"))
        derived = json_values(score_frame(scoring_input(rows, instrument), instrument))
        with transaction.atomic():
            Score.objects.bulk_create(
                [Score(response_id=rid, values=values, instrument_version=instrument.version) for rid, values in derived.items()],
                batch_size=2000,
                ignore_conflicts=True,  # scored meanwhile by a retried submission
            )
            Wave.objects.filter(pk=wave.pk).update(data_changed_at=timezone.now())
        count += len(rows)
    return count


def json_values(derived: pd.DataFrame) -> pd.Series:
    """Each derived row as a JSON-ready dict (None for missing, plain ints and floats)."""
    plain = derived.astype("object").where(derived.notna(), None)
    records = plain.to_dict(orient="records")
    return pd.Series([{code: _plain(value) for code, value in record.items()} for record in records], index=derived.index)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
