"""The researchers' run list: the same number of queries with 1 run and wave as with 21 of each."""

import pytest

from tests.query_counts import grow, queries_of, staff_client, study_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["researcher", "study_admin"])
def test_run_list_queries_do_not_grow_with_runs_and_waves(client, role):
    world = study_world()
    staff_client(client, world, role)
    few = queries_of(client, "/research/analysis/")
    grow(world, 20)
    assert queries_of(client, "/research/analysis/") == few


def test_run_report_queries_do_not_grow_with_runs(client):
    world = study_world()
    staff_client(client, world, "researcher")
    url = f"/research/analysis/runs/{world.run.pk}/"
    few = queries_of(client, url)
    grow(world, 20)
    assert queries_of(client, url) == few
