"""No leaks: membership lookups within the study, errors as a message and a reference id, the same 404 for
"not yours" and "does not exist"."""

import logging

import pytest

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from tests.api.conftest import token_client
from tests.factories import AnalysisRunFactory, UserFactory, WaveFactory

pytestmark = pytest.mark.django_db


def _add(world, **who):
    admin = token_client(world.users["study_admin"])
    return admin.post("/api/v1/memberships/", {"role": "researcher", "study": world.study.pk, **who}, format="json")


def test_memberships_find_users_by_user_name_or_email_within_the_study_only(world):
    fresh = UserFactory(username="new-colleague", email="New.Colleague@school.example", first_name="新同事")
    UserFactory(username="root", email="root@school.example", is_superuser=True)
    added = _add(world, email="new.colleague@school.example")
    assert added.status_code == 201 and added.json()["username"] == "new-colleague"
    assert fresh.memberships.get().study == world.study
    # a user of another study, a superuser and an unknown name: the same answer, no name in it
    other_study_user = _add(world, username="res-b")
    superuser = _add(world, username="root")
    unknown = _add(world, username="no-such-person")
    assert other_study_user.status_code == superuser.status_code == unknown.status_code == 400
    assert other_study_user.json() == superuser.json() == unknown.json()
    by_id = _add(world, user=world.users["researcher_b"].pk)
    by_missing_id = _add(world, user=10**9)
    assert by_id.status_code == by_missing_id.status_code == 400 and by_id.json() == by_missing_id.json()
    assert "res-b" not in by_id.content.decode()


def test_memberships_name_places_of_the_study_only_and_the_same_answer_for_another_study(world):
    UserFactory(username="new-teacher")
    other_class = world.other_response.school_class
    other = _add(world, username="new-teacher", role="teacher", school_class=other_class.pk)
    missing = _add(world, username="new-teacher", role="teacher", school_class=10**9)
    assert other.status_code == missing.status_code == 400 and other.json() == missing.json()
    foreign_study = token_client(world.users["study_admin"]).post(
        "/api/v1/memberships/", {"role": "researcher", "study": world.other_wave.study_id, "username": "new-teacher"}, format="json"
    )
    no_study = token_client(world.users["study_admin"]).post(
        "/api/v1/memberships/", {"role": "researcher", "study": 10**9, "username": "new-teacher"}, format="json"
    )
    assert foreign_study.status_code == no_study.status_code == 400 and foreign_study.json() == no_study.json()


def test_a_failed_run_shows_a_message_and_a_reference_the_traceback_stays_in_the_log(world, monkeypatch, caplog):
    def broken(run, attempt, on_progress):
        raise RuntimeError("cannot read /srv/survey/secret/config.py")

    monkeypatch.setattr(analysis_services, "_execute", broken)
    run, _ = analysis_services.analysis_run_start(wave=world.wave, dispatch=False)
    with caplog.at_level(logging.ERROR, logger="analysis.services"):
        failed = analysis_services.analysis_run_execute(run_id=run.pk)
    assert failed.status == AnalysisRun.Status.FAILED
    assert "/srv/" not in failed.error and "Traceback" not in failed.error and "RuntimeError" not in failed.error
    reference = failed.error.rsplit("reference ", 1)[1].rstrip(")")
    assert len(reference) == 12
    logged = [record for record in caplog.records if reference in record.getMessage()]
    assert logged and logged[0].exc_info and "cannot read /srv/survey/secret/config.py" in str(logged[0].exc_info[1])
    shown = token_client(world.users["researcher"]).get(f"/api/v1/analysis-runs/{run.pk}/").json()["error"]
    assert shown == failed.error


def test_latest_run_answers_the_same_404_for_not_yours_and_does_not_exist(world):
    AnalysisRunFactory(wave=world.other_wave)  # a succeeded run of study B
    client = token_client(world.users["researcher"])
    not_yours = client.get(f"/api/v1/analysis-runs/latest/?wave={world.other_wave.pk}")
    missing = client.get("/api/v1/analysis-runs/latest/?wave=999999")
    no_run = client.get(f"/api/v1/analysis-runs/latest/?wave={world.wave.pk}")
    assert not_yours.status_code == missing.status_code == no_run.status_code == 404
    assert not_yours.json() == missing.json() == no_run.json()
    assert token_client(world.users["researcher_b"]).get(f"/api/v1/analysis-runs/latest/?wave={world.other_wave.pk}").status_code == 200


def test_starting_a_run_of_another_studys_wave_is_answered_as_a_missing_wave(world):
    client = token_client(world.users["researcher"])
    other = client.post("/api/v1/analysis-runs/", {"wave": world.other_wave.pk}, format="json")
    missing = client.post("/api/v1/analysis-runs/", {"wave": WaveFactory().pk + 1000}, format="json")
    assert other.status_code == missing.status_code == 400 and other.json() == missing.json()
