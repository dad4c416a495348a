"""The researchers' run list and a run's report: the same number of queries with 1 run and wave as with 21 of each."""

import pytest

from tests.query_counts import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["researcher", "study_admin"])
def test_run_list_queries_do_not_grow_with_runs_and_waves(client, role):
    assert_queries_do_not_grow(client, role, lambda w: "/research/analysis/")


def test_run_report_queries_do_not_grow_with_runs(client):
    assert_queries_do_not_grow(client, "researcher", lambda w: f"/research/analysis/runs/{w.run.pk}/")
