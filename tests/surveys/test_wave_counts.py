"""Wave counts: right numbers, and queries that do not grow with the wave (no join of responses with codes)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studies.models import Wave
from surveys.models import Response
from surveys.selectors import waves_with_counts
from tests.factories import AccessCodeFactory, RespondentFactory, ResponseFactory, SchoolClassFactory, WaveFactory

pytestmark = pytest.mark.django_db


def _fill(wave, school_class, *, submitted, drafts, withdrawn, revoked):
    for index in range(submitted + drafts + withdrawn):
        respondent = RespondentFactory(school_class=school_class)
        AccessCodeFactory(respondent=respondent, wave=wave, revoked_at=timezone.now() if index < revoked else None)
        status = Response.Status.DRAFT if index < drafts else Response.Status.SUBMITTED
        ResponseFactory(respondent=respondent, wave=wave, status=status)
        if index >= submitted + drafts:
            respondent.withdrawn_at = timezone.now()
            respondent.save(update_fields=["withdrawn_at"])


def test_counts_per_wave():
    school_class = SchoolClassFactory()
    study = school_class.school.study
    first, second, empty = (WaveFactory(study=study) for _ in range(3))
    _fill(first, school_class, submitted=5, drafts=3, withdrawn=2, revoked=1)
    _fill(second, school_class, submitted=1, drafts=0, withdrawn=0, revoked=0)
    counts = {w.pk: (w.submitted, w.in_progress, w.codes) for w in waves_with_counts(Wave.objects.all())}
    assert counts[first.pk] == (5, 3, 9)
    assert counts[second.pk] == (1, 0, 1)
    assert counts[empty.pk] == (0, 0, 0)


def test_one_query_whatever_the_size_and_no_cross_join():
    school_class = SchoolClassFactory()
    wave = WaveFactory(study=school_class.school.study)
    _fill(wave, school_class, submitted=30, drafts=10, withdrawn=0, revoked=0)
    with CaptureQueriesContext(connection) as queries:
        rows = list(waves_with_counts(Wave.objects.all()))
    assert len(queries) == 1 and rows[0].submitted == 30
    outer = queries[0]["sql"].lower().split("(select", 1)[0]
    assert "surveys_response" not in outer and "surveys_accesscode" not in outer, "responses or codes joined to waves"
