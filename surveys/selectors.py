"""Reads shared by pages, commands and the API."""

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from studies.instruments import instrument_for
from studies.models import Study, Wave
from studies.scoping import research_studies

from .models import AccessCode, AnswerChange, Response


class NotFound(LookupError):
    """A study or wave named on the command line or in a request does not exist or is ambiguous."""


def wave_get(*, code: str, study: str | None = None) -> Wave:
    """The wave with ``code`` (in ``study`` when given; the code must then be unique)."""
    waves = Wave.objects.select_related("study", "instrument").filter(code=code)
    if study:
        waves = waves.filter(study__code=study)
    try:
        return waves.get()
    except ObjectDoesNotExist:
        raise NotFound(f"no wave {code!r}" + (f" in study {study!r}" if study else "")) from None
    except MultipleObjectsReturned:
        raise NotFound(f"wave {code!r} exists in several studies: name one with --study") from None


def study_get(*, code: str) -> Study:
    try:
        return Study.objects.get(code=code)
    except Study.DoesNotExist:
        raise NotFound(f"no study {code!r}") from None


def _count_per_wave(rows: QuerySet) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``rows`` for each wave: one aggregate per wave on the (wave, ...) index.

    Counting two relations with ``Count`` in one ``annotate`` joins them with
    each other, rows x codes per wave; subqueries keep each count linear.
    ``COUNT(*)`` (not of the id) lets PostgreSQL count the index entries
    alone (an index-only scan) without reading the rows and their answers.
    """
    counted = rows.filter(wave=OuterRef("pk")).order_by().values("wave").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def waves_with_counts(waves: QuerySet) -> QuerySet:
    """Waves with their numbers of submitted (withdrawn children left out) and in-progress responses, and live codes.

    Submitted responses of children still in the study are all submitted
    responses (counted on the (wave, status) index) less those of withdrawn
    children (few, found by the partial index of withdrawn respondents): no
    join of every response with its respondent.
    """
    submitted = Response.objects.filter(status=Response.Status.SUBMITTED)
    return (
        waves.select_related("study", "instrument")
        .annotate(
            submitted=_count_per_wave(submitted) - _count_per_wave(submitted.filter(respondent__withdrawn_at__isnull=False)),
            in_progress=_count_per_wave(Response.objects.filter(status=Response.Status.DRAFT)),
            codes=_count_per_wave(AccessCode.objects.filter(revoked_at__isnull=True)),
        )
        .order_by("study__code", "code")
    )


def answer_changes(*, respondent, lang: str) -> list[dict]:
    """Every answer written for one respondent, oldest first, by pid (no names), with the question's wording."""
    rows = list(
        AnswerChange.objects.filter(response__respondent=respondent)
        .order_by("changed_at", "id")
        .values("response__wave_id", "response__wave__code", "code", "old_value", "new_value", "changed_at", "revision", "device", "source")
    )
    waves = {wave.pk: wave for wave in Wave.objects.filter(pk__in={row["response__wave_id"] for row in rows}).select_related("instrument")}
    sources = dict(AnswerChange.Source.choices)
    for row in rows:
        instrument = instrument_for(waves[row["response__wave_id"]].instrument)
        variable = instrument.get(row["code"])
        row["question"] = variable.text(lang) if variable else ""
        row["old"] = _answer_text(variable, row["old_value"], lang)
        row["new"] = _answer_text(variable, row["new_value"], lang)
        row["source_label"] = sources.get(row["source"], row["source"])
    return rows


def _answer_text(variable, value, lang: str) -> str:
    if value is None:
        return "—"
    if variable is not None and variable.options and value in variable.option_codes:
        return f"{value} ({variable.option_text(value, lang)})"
    return str(value)


def responses_readable(user) -> QuerySet:
    """Answers and scores: only for researchers and study administrators of the study."""
    return Response.objects.filter(wave__study__in=research_studies(user))
