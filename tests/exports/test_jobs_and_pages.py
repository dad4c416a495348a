"""Export jobs (service, Celery task, expiry) and the researchers' pages, with their permissions."""

import io
import os
import zipfile
from datetime import timedelta
from unittest import mock

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportJob
from exports.services import export_job_create, export_job_run, export_jobs_cleanup
from tests.factories import MembershipFactory

from .conftest import readme_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks_inline():
    """The task's ``delay`` runs the job at once (what a worker would do after the commit)."""
    with mock.patch("exports.tasks.export_job_task.delay", side_effect=lambda job_id: export_job_run(job_id=job_id)) as delay:
        yield delay


def test_a_job_builds_the_bundle_with_flow_and_fingerprint(
    reference_wave, researcher, media, run_tasks_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(wave=reference_wave, user=researcher, options={"cleaned": True, "format": "sav"})
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.progress == 100
    assert job.row_count == readme_flow()["analytic"]
    assert {row["rule"]: row["dropped"] for row in job.flow}["speeding"] == readme_flow()["speeding"]
    assert job.expires_at > timezone.now() + timedelta(hours=1)
    with zipfile.ZipFile(job.file.path) as bundle:
        names = bundle.namelist()
        assert any(name.endswith(".sav") for name in names) and any(name.endswith("_codebook.html") for name in names)
        assert job.fingerprint in bundle.read(next(n for n in names if n.endswith("_codebook.csv"))).decode("utf-8-sig")
    path = job.file.path
    assert export_jobs_cleanup(now=job.expires_at + timedelta(seconds=1)) == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert not os.path.exists(path)


def test_progress_is_recorded_per_chunk(reference_wave, researcher, media):
    from exports.engine import export_write

    job = ExportJob.objects.create(wave=reference_wave, options={"cleaned": False}, created_by=researcher)
    seen = []

    def small_chunks(**kwargs):
        progress = kwargs.pop("progress")

        def record(done, total):
            progress(done, total)
            seen.append(ExportJob.objects.values_list("progress", flat=True).get(pk=job.pk))

        return export_write(**kwargs, progress=record, chunk_size=400)

    with mock.patch("exports.services.export_write", side_effect=small_chunks):
        export_job_run(job_id=job.pk)
    assert seen == [26, 53, 80, 99]
    job.refresh_from_db()
    assert job.progress == 100 and job.row_count == 1500


def test_a_redelivered_task_does_nothing_twice(reference_wave, researcher, media):
    job = ExportJob.objects.create(wave=reference_wave, options={"layout": "sequences"}, created_by=researcher)
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    name = job.file.name
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.file.name == name and job.status == ExportJob.Status.DONE


def test_teachers_cannot_start_exports(reference_wave):
    from django.core.exceptions import PermissionDenied

    teacher = MembershipFactory(role="teacher", school_class=reference_wave.study.schools.first().classes.first()).user
    with pytest.raises(PermissionDenied):
        export_job_create(wave=reference_wave, user=teacher, options={})


def test_waves_page_shows_counts_and_flow(client, reference_wave, researcher):
    client.force_login(researcher)
    page = client.get(reverse("exports:waves"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2021-01" in text and "1500" in text and str(readme_flow()["analytic"]) in text
    assert reverse("exports:form", args=[reference_wave.pk]) in text


def test_export_form_starts_a_job_and_the_download_list_serves_it(
    client, reference_wave, researcher, media, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(researcher)
    url = reverse("exports:form", args=[reference_wave.pk])
    assert client.get(url).status_code == 200
    data = {"cleaned": "on", "rules": ["family_disruption", "res_unknown", "res_inconsistent", "straightline", "missing_covariates"],
            "format": "csv", "layout": "wide", "lang": "en"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("exports:downloads")
    job = ExportJob.objects.get()
    assert job.options["rules"]["speeding"] is False and job.status == ExportJob.Status.DONE
    listing = client.get(reverse("exports:downloads")).content.decode()
    assert reverse("exports:download", args=[job.pk]) in listing and job.fingerprint in listing
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        data_name = next(n for n in bundle.namelist() if n.endswith(".csv") and "_codebook" not in n and "_flow" not in n)
        frame = pd.read_csv(bundle.open(data_name), dtype={"pid": str}, encoding="utf-8-sig")
    assert len(frame) == job.row_count > readme_flow()["analytic"]
    assert client.get(reverse("exports:progress", args=[job.pk])).json()["status"] == "done"


@pytest.mark.parametrize("role", [None, "teacher", "counsellor", "other_study"])
def test_pages_refuse_other_roles(client, reference_wave, researcher, media, role):
    job = ExportJob.objects.create(wave=reference_wave, options={}, created_by=researcher)
    if role == "other_study":
        user = MembershipFactory(role="researcher").user
    elif role == "teacher":
        user = MembershipFactory(role="teacher", school_class=reference_wave.study.schools.first().classes.first()).user
    elif role == "counsellor":
        user = MembershipFactory(role="counsellor", school=reference_wave.study.schools.first()).user
    if role:
        client.force_login(user)
    for url in (
        reverse("exports:waves"), reverse("exports:form", args=[reference_wave.pk]), reverse("exports:downloads"),
        reverse("exports:download", args=[job.pk]), reverse("exports:progress", args=[job.pk]),
    ):
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif role == "other_study":
            assert response.status_code in (200, 404), url
            assert "2021-01" not in response.content.decode(), url
        else:
            assert response.status_code == 403, url


def test_command_line_formats_layouts_and_flow(reference_wave, tmp_path, capsys):
    out = tmp_path / "a.dta"
    call_command("export_responses", wave="2021-01", study="A", out=str(out), cleaned=True, skip_rule=["speeding"], codebook=True)
    printed = capsys.readouterr().out
    assert "speeding" in printed and "False" in printed and (tmp_path / "a_codebook.html").exists()
    import pyreadstat

    frame, _ = pyreadstat.read_dta(str(out))
    assert f"{len(frame)} rows written" in printed
    call_command("export_responses", wave="2021-01", out=str(tmp_path / "l.csv"), format="csv", layout="long")
    assert len(pd.read_csv(tmp_path / "l.csv", encoding="utf-8-sig")) == 12 * 1500


def test_a_broker_that_is_down_keeps_the_job_in_the_outbox(reference_wave, researcher, django_capture_on_commit_callbacks):
    from common.models import OutboxTask

    with (
        mock.patch("exports.tasks.export_job_task.delay", side_effect=ConnectionError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = export_job_create(wave=reference_wave, user=researcher, options={})
    kept = OutboxTask.objects.get()
    assert kept.name == "exports.tasks.export_job_task" and kept.kwargs == {"job_id": job.pk}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED
