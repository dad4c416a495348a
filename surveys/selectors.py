"""Reads shared by pages, commands and the API."""

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet

from .models import Response, Study, Wave


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


def waves_with_counts(waves: QuerySet) -> QuerySet:
    """Waves with their numbers of submitted (withdrawn children left out) and in-progress responses."""
    return (
        waves.select_related("study", "instrument")
        .annotate(
            submitted=Count(
                "responses",
                filter=Q(responses__status=Response.Status.SUBMITTED, responses__respondent__withdrawn_at__isnull=True),
                distinct=True,
            ),
            in_progress=Count("responses", filter=Q(responses__status=Response.Status.DRAFT), distinct=True),
            codes=Count("access_codes", filter=Q(access_codes__revoked_at__isnull=True), distinct=True),
        )
        .order_by("study__code", "code")
    )
