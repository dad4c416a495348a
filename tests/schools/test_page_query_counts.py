"""School and staff pages: the same number of queries with 1 row of every kind as with 21 (no query per row)."""

import pytest

from tests.query_counts import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def _roster(world, page=""):
    return f"/school/classes/{world.school_class.pk}/waves/{world.wave.pk}/{page}"


PAGES = {
    "staff home (waves with counts)": ("researcher", lambda w: "/staff/"),
    "dashboard, teacher": ("teacher", lambda w: "/school/"),
    "dashboard, study administrator (every class)": ("study_admin", lambda w: "/school/"),
    "class": ("teacher", lambda w: f"/school/classes/{w.school_class.pk}/"),
    "roster": ("teacher", lambda w: _roster(w)),
    "roster, study administrator": ("study_admin", lambda w: _roster(w)),
    "roster rows (polled)": ("teacher", lambda w: _roster(w, "rows/")),
    "roster CSV": ("school_admin", lambda w: _roster(w, "roster.csv")),
    "reminders": ("teacher", lambda w: _roster(w, "reminders/")),
    "slips": ("teacher", lambda w: _roster(w, "slips/")),
    "alerts, counsellor": ("counsellor", lambda w: "/school/alerts/"),
    "alerts, study administrator": ("study_admin", lambda w: "/school/alerts/"),
    "alert": ("counsellor", lambda w: f"/school/alerts/{w.alert.pk}/"),
    "respondent search": ("researcher", lambda w: f"/school/studies/{w.study.pk}/respondents/"),
    "respondent history": ("researcher", lambda w: f"/school/studies/{w.study.pk}/respondents/{w.pid}/"),
    "answer history": ("study_admin", lambda w: f"/school/studies/{w.study.pk}/respondents/{w.pid}/answers/"),
    "withdrawn": ("study_admin", lambda w: f"/school/studies/{w.study.pk}/withdrawn/"),
    "audit log": ("study_admin", lambda w: "/school/audit/"),
}


@pytest.fixture(autouse=True)
def _no_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.parametrize("page", list(PAGES))
def test_queries_do_not_grow_with_the_rows(client, page):
    assert_queries_do_not_grow(client, *PAGES[page])
