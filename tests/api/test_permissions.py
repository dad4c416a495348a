"""Roles and scopes: anonymous gets 401, a wrong role 403, another study's rows are never shown; pid only."""

import pytest

pytestmark = pytest.mark.django_db

RESEARCH_LISTS = ["/api/v1/respondents/", "/api/v1/responses/", "/api/v1/scores/", "/api/v1/exports/"]
ALL_LISTS = ["/api/v1/studies/", "/api/v1/waves/", "/api/v1/schools/", "/api/v1/classes/", *RESEARCH_LISTS]


def _details(world):
    return [
        f"/api/v1/studies/{world.study.pk}/", f"/api/v1/waves/{world.wave.pk}/", f"/api/v1/waves/{world.wave.pk}/flow/",
        f"/api/v1/schools/{world.klass.school.pk}/", f"/api/v1/classes/{world.klass.pk}/",
        f"/api/v1/responses/{world.response.pk}/",
        f"/api/v1/scores/{world.response.score.pk}/",
    ]


def test_anonymous_requests_get_401_and_no_data(world, api):
    client = api(None)
    for url in ALL_LISTS + _details(world):
        response = client.get(url)
        assert response.status_code == 401, url
        assert "PA0001" not in response.content.decode(), url
    assert client.post("/api/v1/exports/", {"wave": world.wave.pk}, format="json").status_code == 401


@pytest.mark.parametrize("role", ["teacher", "counsellor", "school_admin", "nobody"])
def test_school_staff_and_users_without_a_research_role_get_403_for_answers_scores_and_exports(world, api, role):
    client = api(role)
    for url in RESEARCH_LISTS + [f"/api/v1/responses/{world.response.pk}/", f"/api/v1/scores/{world.response.score.pk}/",
                                 f"/api/v1/waves/{world.wave.pk}/flow/"]:
        response = client.get(url)
        assert response.status_code in (403, 404) if role == "nobody" and "flow" in url else response.status_code == 403, url
        assert "PA0001" not in response.content.decode() and "rsca" not in response.content.decode(), url
    assert client.post("/api/v1/exports/", {"wave": world.wave.pk}, format="json").status_code == 403


def test_school_staff_see_their_structure_but_never_names_through_the_api(world, api):
    client = api("teacher")
    assert [row["code"] for row in client.get("/api/v1/classes/").json()["results"]] == [world.klass.code]
    assert [row["code"] for row in client.get("/api/v1/waves/").json()["results"]] == ["2021-01"]
    for url in ALL_LISTS:
        assert "王小明" not in client.get(url).content.decode()


def test_a_researcher_of_another_study_sees_nothing_of_this_one(world, api):
    client = api("researcher_b")
    for url in ALL_LISTS:
        body = client.get(url).content.decode()
        assert "PA0001" not in body and "2021-01" not in body, url
    for url in _details(world):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/v1/exports/", {"wave": world.wave.pk}, format="json").status_code == 400


@pytest.mark.parametrize("role", ["researcher", "study_admin"])
def test_researchers_read_pseudonymous_data_pid_only(world, api, role):
    client = api(role)
    responses = client.get("/api/v1/responses/").json()
    assert responses["count"] == 1 and {"count", "next", "previous", "results"} <= set(responses)
    row = responses["results"][0]
    assert row["pid"] == "PA0001" and row["answers"]["gender"] == 1 and row["status"] == "submitted"
    scores = client.get("/api/v1/scores/").json()["results"]
    assert scores[0]["pid"] == "PA0001" and "flag_family_disruption" in scores[0]["values"]
    respondents = client.get("/api/v1/respondents/").json()["results"]
    assert {r["pid"] for r in respondents} == {"PA0001", "PA0002"}
    for url in ALL_LISTS + _details(world):
        body = client.get(url).content.decode()
        assert "王小明" not in body and "李四" not in body, url
        assert world.code.code not in body and "display_name" not in body and "seat_number" not in body, url
        assert "res-a" not in body and "password" not in body, url


def test_filters_and_flow(world, api):
    client = api("researcher")
    assert client.get(f"/api/v1/responses/?wave={world.wave.pk}").json()["count"] == 1
    assert client.get(f"/api/v1/responses/?wave={world.other_wave.pk}").json()["count"] == 0
    assert client.get("/api/v1/responses/?pid=PA0002").json()["count"] == 0
    assert client.get("/api/v1/responses/?status=draft").json()["count"] == 0
    assert client.get("/api/v1/responses/?submitted_after=not-a-date").status_code == 400
    assert client.get("/api/v1/waves/?study=A").json()["results"][0]["submitted"] == 1
    flow = client.get(f"/api/v1/waves/{world.wave.pk}/flow/?skip=speeding").json()
    assert flow[0] == {"rule": "raw", "flag": "", "enabled": None, "dropped": 0, "remaining": 1}
    assert {row["rule"]: row["enabled"] for row in flow}["speeding"] is False
    assert client.get(f"/api/v1/waves/{world.wave.pk}/flow/?skip=nonsense").status_code == 400


def test_withdrawn_children_leave_the_api(world, api):
    from django.utils import timezone

    world.child.withdrawn_at = timezone.now()
    world.child.save()
    client = api("researcher")
    assert client.get("/api/v1/responses/").json()["count"] == 0
    assert client.get("/api/v1/scores/").json()["count"] == 0
    assert client.get(f"/api/v1/responses/{world.response.pk}/").status_code == 404


def test_session_authentication_works_too(world, client):
    client.force_login(world.users["researcher"])
    assert client.get("/api/v1/responses/").json()["count"] == 1


def test_schema_and_documentation_pages(world, client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/responses/", "/api/v1/responses/submit", "/api/v1/exports/", "/api/v1/exports/{id}/download/",
                 "/api/v1/waves/{id}/flow/", "/api/v1/scores/", "/api/v1/respondents/"):
        assert path in paths, path
    assert "/api/v1/responses/submit/" not in paths
    assert client.get("/api/v1/docs/").status_code == 200
