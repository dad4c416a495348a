"""With a read replica configured, exports and analysis runs read the responses from it; writes stay on the primary.

The replica is the test settings' mirror of the default database: the same
file through its own connection, so each connection's queries are seen apart.
"""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analysis import services
from analysis.models import AnalysisRun
from analysis.services import analysis_run_execute
from exports.engine import ExportOptions, export_write
from surveys.models import Response
from tests.factories import AnalysisRunFactory, ResponseFactory, WaveFactory
from tests.test_production_settings import PRODUCTION_ENV, manage

replica_db = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def wave():
    wave = WaveFactory(data_changed_at=timezone.now())
    for _ in range(3):
        ResponseFactory(wave=wave, status=Response.Status.SUBMITTED, submitted_at=timezone.now(), duration_s=600)
    return wave


@pytest.fixture
def queries():
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as replica:
        yield primary, replica


def reads_responses(captured) -> bool:
    return any('FROM "surveys_response"' in query["sql"] for query in captured.captured_queries)


@replica_db
def test_an_export_reads_the_responses_from_the_replica(settings, wave, tmp_path, queries):
    settings.ANALYTICS_DATABASE = "replica"
    result = export_write(wave=wave, options=ExportOptions(), path=tmp_path / "wave.csv")
    primary, replica = queries
    assert result.row_count == 3
    assert reads_responses(replica) and not reads_responses(primary)


@replica_db
def test_an_analysis_run_reads_from_the_replica_and_writes_to_the_primary(settings, wave, queries, monkeypatch):
    settings.ANALYSIS_STALE_AFTER_S = 3600
    settings.ANALYTICS_DATABASE = "replica"
    read = []

    def pipeline(frame, **options):
        read.append(len(frame))
        raise ValueError("stop after the read")

    monkeypatch.setattr(services, "run_analysis", pipeline)
    run = AnalysisRunFactory(wave=wave, status=AnalysisRun.Status.QUEUED)
    run = analysis_run_execute(run_id=run.pk)
    primary, replica = queries
    assert read == [3]
    assert reads_responses(replica) and not reads_responses(primary)
    assert any('FROM "surveys_wave"' in query["sql"] for query in replica.captured_queries)  # the change stamp too
    assert not any(query["sql"].startswith(("UPDATE", "INSERT")) for query in replica.captured_queries)
    assert run.status == AnalysisRun.Status.FAILED and run.rows_read == 3 and run.data_changed_at == wave.data_changed_at


@replica_db
def test_without_a_replica_everything_reads_the_primary(wave, tmp_path, queries):
    result = export_write(wave=wave, options=ExportOptions(), path=tmp_path / "wave.csv")
    primary, replica = queries
    assert result.row_count == 3
    assert reads_responses(primary) and not replica.captured_queries


def test_the_replica_alias_exists_only_when_its_url_is_set(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)  # production settings choose it
    code = (
        "from django.conf import settings as s; import os;"
        "print(sorted(s.DATABASES), s.ANALYTICS_DATABASE, s.DATABASES.get('replica', {}).get('HOST'),"
        " os.environ['NUMBA_CACHE_DIR'] == str(s.VAR_DIR / 'numba-cache'))"
    )
    with_replica = {**PRODUCTION_ENV, "DATABASE_REPLICA_URL": "postgres://survey@10.0.0.2:5432/survey"}
    assert manage("shell", "--no-imports", "-c", code, env=with_replica).stdout.split() == [
        "['default',", "'replica']", "replica", "10.0.0.2", "True",
    ]
    assert manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV).stdout.split() == [
        "['default']", "default", "None", "True",
    ]
