"""Researchers' export pages: the same number of queries with 1 row of every kind as with 21 (no query per wave or job)."""

import pytest
from django.core.cache import cache

from tests.query_counts import assert_queries_do_not_grow, grow, queries_of, study_world

pytestmark = pytest.mark.django_db

PAGES = {
    "waves with counts and flows": lambda w: "/research/exports/",
    "export form with the flow": lambda w: f"/research/exports/wave/{w.wave.pk}/",
    "downloads": lambda w: "/research/exports/downloads/",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_queries_do_not_grow_with_the_rows(client, page):
    assert_queries_do_not_grow(client, "researcher", PAGES[page])


def test_flows_not_cached_cost_one_query_per_wave_with_answers(client):
    """With an empty cache the wave list reads each wave's flow (one query each), never one per response."""
    world = study_world()
    client.force_login(world.users["researcher"])
    queries_of(client, "/research/exports/")
    cache.clear()
    few = queries_of(client, "/research/exports/")
    grow(world, 20)  # the new waves have no submitted response: no flow to read
    cache.clear()
    assert queries_of(client, "/research/exports/") == few
