"""Fuzzing the API from its own OpenAPI schema (schemathesis): no server error, every reply as documented.

Every operation of ``/api/v1/schema/`` is called with generated parameters
and bodies, as a study administrator (the widest role) on a small world of
data, in-process through the WSGI application, with a personal token. Each
reply must be below 500 and conform to the schema: a documented status
(``status_code_conformance``), content type and body
(``response_schema_conformance``, errors included). Lists are asked for with
``page_size=1000``, as a script pulling data would. Derandomised, so a
failure reproduces; ``FUZZ_EXAMPLES`` sets the examples per operation
(default 25).
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from apitokens.services import api_token_create

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("role", ["study_admin", None])
def test_no_operation_of_the_schema_gives_a_server_error(world, role, settings_media):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    headers = {}
    if role:
        headers["Authorization"] = f"Bearer {api_token_create(user=world.users[role], name='fuzz', days=30).key}"
    operations = list(_operations(schema))
    assert len(operations) >= 15
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            if case.query is not None and "page_size" in case.query:
                case.query["page_size"] = 1000
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body, response.text[:500])
            case.validate_response(response, checks=CONFORMANCE)
            if role is None and case.path != "/api/v1/responses/submit" and not case.path.startswith("/api/v1/schema"):
                assert response.status_code in (401, 403, 404, 405, 429), (case.method, case.formatted_path, response.status_code)

        try:
            check()
        except AssertionError as error:
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def settings_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a finished request must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_schema_is_valid_openapi_3(world, client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(schema)  # loads and validates
    assert not_a_server_error  # the check the fuzzer applies
