"""The API driven from a script: page sizes, cursors, ordering, consistent filters, one error format, language, rates."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from config.api_pagination import MAX_PAGE_SIZE
from config.api_rates import USER_RATE
from tests.factories import ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world):
    """25 more submitted responses in the world's wave (26 in all)."""
    ResponseFactory.create_batch(25, respondent__school_class=world.klass, wave=world.wave, status="submitted")
    return world


def _pull(client, url):
    """Follow ``next`` to the end; returns the ids and the number of queries of each page."""
    ids, queries = [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200, page.content
        body = page.json()
        ids += [row["id"] for row in body["results"]]
        queries.append(len(captured))
        url = body["next"]
    return ids, queries


def test_responses_come_by_cursor_in_pages_of_page_size_without_a_count(many, api):
    client = api("researcher")
    ids, queries = _pull(client, f"/api/v1/responses/?wave_id={many.wave.pk}&page_size=10")
    assert len(ids) == 26 and ids == sorted(ids) and len(set(ids)) == 26
    assert len(queries) == 3 and len(set(queries)) == 1  # the same queries on every page, whatever its position
    page = client.get("/api/v1/responses/?page_size=10").json()
    assert "count" not in page and "cursor=" in page["next"]
    newest_first, _ = _pull(client, f"/api/v1/responses/?wave_id={many.wave.pk}&page_size=10&ordering=-id")
    assert newest_first == sorted(ids, reverse=True)
    for sql in connection.queries[-3:]:
        assert "COUNT(" not in sql["sql"].upper()


def test_scores_come_by_cursor_too(world, api):
    body = api("researcher").get("/api/v1/scores/?page_size=1000").json()
    assert [row["id"] for row in body["results"]] == [world.response.score.pk]
    assert body["next"] is None and "count" not in body


def test_page_size_is_honoured_up_to_1000_on_numbered_lists(many, api):
    client = api("study_admin")
    assert len(client.get("/api/v1/respondents/?page_size=2").json()["results"]) == 2
    body = client.get("/api/v1/respondents/?page_size=5000").json()
    assert body["count"] == 27 and len(body["results"]) == 27  # capped at MAX_PAGE_SIZE, not an error
    assert MAX_PAGE_SIZE == 1000
    assert len(client.get("/api/v1/responses/?page_size=1000").json()["results"]) == 26


def test_ordering_on_declared_fields_only(world, api):
    client = api("researcher")
    pids = [row["pid"] for row in client.get("/api/v1/respondents/?ordering=-pid").json()["results"]]
    assert pids == sorted(pids, reverse=True) and len(pids) == 2
    # an undeclared field is ignored (DRF's rule), never a server error
    assert client.get("/api/v1/respondents/?ordering=display_name").status_code == 200
    assert client.get("/api/v1/exports/?ordering=download_url").status_code == 200


def test_filters_are_named_id_for_ids_and_code_for_codes_and_old_names_still_work(many, api):
    client = api("researcher")
    count = lambda url: len(client.get(url).json()["results"])  # noqa: E731
    school = many.klass.school
    assert count(f"/api/v1/responses/?school_id={school.pk}") == 26
    assert count(f"/api/v1/responses/?school_code={school.code}") == 26
    assert count(f"/api/v1/responses/?school={school.code}") == 26  # deprecated alias
    assert count(f"/api/v1/responses/?class_id={many.klass.pk}&wave_code={many.wave.code}&study_code=A") == 26
    assert count(f"/api/v1/responses/?wave={many.wave.pk}") == 26  # deprecated alias of wave_id
    assert count(f"/api/v1/classes/?school_id={school.pk}") == count(f"/api/v1/classes/?school={school.pk}") == 1
    assert count(f"/api/v1/classes/?school_code={school.code}") == 1
    assert count("/api/v1/waves/?study_code=A") == count("/api/v1/waves/?study=A") == 1
    assert count(f"/api/v1/schools/?study_id={many.study.pk}") == 1
    assert count(f"/api/v1/scores/?wave_id={many.wave.pk}") == 1


def test_the_schema_documents_the_new_names_and_marks_the_old_ones_deprecated(world, client):
    schema = client.get("/api/v1/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/responses/"]["get"]["parameters"]}
    for name in ("wave_id", "wave_code", "study_id", "study_code", "school_id", "school_code", "class_id", "class_code", "cursor", "page_size", "ordering"):
        assert name in parameters and not parameters[name].get("deprecated"), name
    for name in ("wave", "study", "school"):
        assert parameters[name]["deprecated"] is True, name
    assert parameters["page_size"]["schema"]["maximum"] == 1000
    responses = schema["paths"]["/api/v1/responses/{id}/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(responses)
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("role", "method", "url", "status", "code"),
    [
        (None, "get", "/api/v1/responses/", 401, "not_authenticated"),
        ("teacher", "get", "/api/v1/responses/", 403, "permission_denied"),
        ("researcher", "get", "/api/v1/responses/999999/", 404, "not_found"),
        ("researcher", "get", "/api/v1/responses/?cursor=nonsense", 404, "not_found"),
        ("researcher", "get", "/api/v1/respondents/?page=99", 404, "not_found"),
        ("researcher", "delete", "/api/v1/studies/", 405, "method_not_allowed"),
        ("researcher", "get", "/api/v1/roster/", 403, "permission_denied"),
        ("teacher", "get", "/api/v1/roster/", 400, "invalid"),
        ("researcher", "get", "/api/v1/no-such-list/", 404, "not_found"),
        ("researcher", "get", "/api/v1/responses/abc/", 404, "not_found"),
    ],
)
def test_every_error_has_the_one_format_with_a_stable_code(world, api, role, method, url, status, code):
    response = getattr(api(role), method)(url)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert set(response.json()) == {"error"}


def test_validation_errors_name_their_fields(world, api):
    body = api("researcher").get("/api/v1/responses/?submitted_after=not-a-date&wave_id=x").json()["error"]
    assert body["code"] == "invalid" and set(body["fields"]) == {"submitted_after", "wave_id"}
    roster = api("teacher").get("/api/v1/roster/").json()["error"]
    assert set(roster["fields"]) == {"class_id", "wave_id"}


def test_messages_are_english_unless_accept_language_asks_for_chinese(world, api):
    client = api("teacher")
    english = client.get("/api/v1/responses/")
    assert english.json()["error"]["message"] == "Only the study's researchers may read pseudonymous data."
    assert english["Content-Language"] == "en"
    chinese = client.get("/api/v1/responses/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert chinese["Content-Language"] == "zh-hans"
    assert chinese.json()["error"]["code"] == "permission_denied"
    assert chinese.json()["error"]["message"] != english.json()["error"]["message"]
    # DRF's own messages follow too
    missing = api("researcher").get("/api/v1/responses/999999/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"]
    assert missing["message"] != "Not found." and missing["code"] == "not_found"
    assert api("researcher").get("/api/v1/responses/999999/", HTTP_ACCEPT_LANGUAGE="fr").json()["error"]["message"] == "Not found."


def test_the_pages_keep_chinese_by_default(world, client):
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


def test_the_user_rate_lets_a_script_pull_a_million_rows_in_an_hour():
    rate = USER_RATE  # the setting of base.py (the tests' settings raise it)
    requests, seconds = UserRateThrottle().parse_rate(rate)
    pages = 1_000_000 // MAX_PAGE_SIZE
    assert seconds == 3600 and requests >= 2 * pages, rate  # the pull, and as much again for everything else
    assert api_settings.DEFAULT_PAGINATION_CLASS.max_page_size == MAX_PAGE_SIZE


def test_analysis_runs_take_models_and_still_accept_study(world, api, monkeypatch):
    from analysis import services

    monkeypatch.setattr(services, "_dispatch", lambda run_id: None)
    client = api("researcher")
    started = client.post("/api/v1/analysis-runs/", {"wave": world.wave.pk, "models": "B"}, format="json")
    assert started.status_code == 201 and started.json()["models"] == "B"
    assert started.json()["parameters"]["study"] == "B"
    refused = client.post("/api/v1/analysis-runs/", {"wave": world.wave.pk, "models": "A", "study": "B"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"
