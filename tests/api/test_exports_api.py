"""Exports through the API: start (202), progress, download; researchers of the study only."""

import io
import zipfile
from unittest import mock

import pytest

from exports.models import ExportJob
from exports.services import export_job_run

pytestmark = pytest.mark.django_db


def test_start_follow_and_download_an_export(world, api, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    client = api("researcher")
    with mock.patch("exports.tasks.export_job_task.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/exports/", {"wave": world.wave.pk, "cleaned": True, "skip_rules": ["speeding"], "format": "dta"}, format="json"
        )
    assert started.status_code == 202, started.content
    job_id = started.json()["id"]
    delay.assert_called_once_with(job_id=job_id)
    assert started.json()["status"] == "queued" and started.json()["download_url"] is None
    assert client.get(f"/api/v1/exports/{job_id}/download/").status_code == 404
    export_job_run(job_id=job_id)
    job = client.get(f"/api/v1/exports/{job_id}/").json()
    assert job["status"] == "done" and job["progress"] == 100 and job["fingerprint"]
    assert {row["rule"]: row["enabled"] for row in job["flow"]}["speeding"] is False
    assert job["options"]["rules"]["speeding"] is False and job["options"]["format"] == "dta"
    download = client.get(job["download_url"])
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as bundle:
        assert any(name.endswith(".dta") for name in bundle.namelist())
    assert api("researcher_b").get(f"/api/v1/exports/{job_id}/download/").status_code == 404
    assert api("teacher").get(f"/api/v1/exports/{job_id}/download/").status_code == 403
    assert api(None).get(f"/api/v1/exports/{job_id}/download/").status_code == 401


def test_bad_options_are_400(world, api):
    client = api("researcher")
    for body in ({"wave": world.wave.pk, "format": "pdf"}, {"wave": world.wave.pk, "skip_rules": ["nope"]}, {"wave": 10**12}, {}):
        assert client.post("/api/v1/exports/", body, format="json").status_code == 400, body
    assert not ExportJob.objects.exists()
