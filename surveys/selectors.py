"""Reads shared by pages, commands and the API."""

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import AccessCode, Response, Study, Wave


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
    """
    counted = rows.filter(wave=OuterRef("pk")).order_by().values("wave").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def waves_with_counts(waves: QuerySet) -> QuerySet:
    """Waves with their numbers of submitted (withdrawn children left out) and in-progress responses, and live codes."""
    responses = Response.objects.all()
    return (
        waves.select_related("study", "instrument")
        .annotate(
            submitted=_count_per_wave(
                responses.filter(status=Response.Status.SUBMITTED, respondent__withdrawn_at__isnull=True)
            ),
            in_progress=_count_per_wave(responses.filter(status=Response.Status.DRAFT)),
            codes=_count_per_wave(AccessCode.objects.filter(revoked_at__isnull=True)),
        )
        .order_by("study__code", "code")
    )
