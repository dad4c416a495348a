"""API lists (and the researchers' token page): the same number of queries with 1 row of every kind as with 21."""

import pytest

from tests.query_counts import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

LISTS = {
    "studies": ("researcher", lambda w: "/api/v1/studies/"),
    "waves (with counts)": ("researcher", lambda w: "/api/v1/waves/"),
    "waves, teacher": ("teacher", lambda w: "/api/v1/waves/"),
    "wave flow": ("researcher", lambda w: f"/api/v1/waves/{w.wave.pk}/flow/"),
    "schools": ("researcher", lambda w: "/api/v1/schools/"),
    "classes": ("study_admin", lambda w: "/api/v1/classes/"),
    "respondents": ("researcher", lambda w: "/api/v1/respondents/"),
    "responses": ("researcher", lambda w: f"/api/v1/responses/?wave_id={w.wave.pk}"),
    "responses, every wave": ("study_admin", lambda w: "/api/v1/responses/"),
    "scores": ("researcher", lambda w: "/api/v1/scores/"),
    "roster": ("teacher", lambda w: f"/api/v1/roster/?class_id={w.school_class.pk}&wave_id={w.wave.pk}"),
    "alerts, counsellor": ("counsellor", lambda w: "/api/v1/alerts/"),
    "alerts, study administrator": ("study_admin", lambda w: "/api/v1/alerts/"),
    "memberships": ("study_admin", lambda w: "/api/v1/memberships/"),
    "exports": ("researcher", lambda w: "/api/v1/exports/"),
    "analysis runs": ("researcher", lambda w: "/api/v1/analysis-runs/"),
    "token page": ("researcher", lambda w: "/research/tokens/"),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_queries_do_not_grow_with_the_rows(client, name):
    assert_queries_do_not_grow(client, *LISTS[name])
