"""Export files are readable by their owner only (0600) and every export is audited when made and downloaded."""

import os
import stat
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from common.models import AuditEvent
from exports.models import ExportJob
from exports.services import export_job_create, export_job_run

pytestmark = pytest.mark.django_db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def job(reference_wave, researcher, media, django_capture_on_commit_callbacks):
    old_umask = os.umask(0o022)  # the usual umask: files would be 0644 unless made private
    try:
        with (
            mock.patch("exports.tasks.export_job_task.delay", side_effect=lambda job_id: export_job_run(job_id=job_id)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            made = export_job_create(wave=reference_wave, user=researcher, options={"format": "csv"})
    finally:
        os.umask(old_umask)
    made.refresh_from_db()
    assert made.status == ExportJob.Status.DONE
    return made


def test_the_stored_bundle_is_0600_in_a_0700_folder(job):
    path = Path(job.file.path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_creating_and_downloading_an_export_are_audited(client, job, researcher):
    created = AuditEvent.objects.get(action="export.create")
    assert created.actor == researcher and created.target == f"export {job.pk}" and created.study == job.wave.study
    assert created.details["format"] == "csv"
    client.force_login(researcher)
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    api = client.get(f"/api/v1/exports/{job.pk}/download/")
    assert api.status_code == 200
    downloads = AuditEvent.objects.filter(action="export.download", actor=researcher, target=f"export {job.pk}")
    assert downloads.count() == 2 and downloads.first().details["rows"] == job.row_count


def test_the_export_command_writes_private_files(reference_wave, tmp_path):
    out = tmp_path / "wave.csv"
    old_umask = os.umask(0o022)
    try:
        call_command("export_responses", wave=reference_wave.code, study="A", out=str(out), codebook=True)
    finally:
        os.umask(old_umask)
    written = sorted(tmp_path.iterdir())
    assert out in written and len(written) > 3  # the data file and its documents (codebook, flow, datapackage, loaders)
    assert {path.name: _mode(path) for path in written} == {path.name: 0o600 for path in written}
