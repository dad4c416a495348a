"""One score writer: submissions, imports, re-scores and the pending sweep all store scores through
``surveys.scores.scores_write``, which stamps the wave's ``data_changed_at`` once per write."""

import pandas as pd
import pytest
from django.core.management import call_command

import surveys.imports
import surveys.scores
import surveys.services
from studies.instruments import instrument_for
from studies.models import Wave
from surveys.models import Response, Score
from surveys.services import (
    respondent_answers_delete,
    respondent_withdraw,
    response_submit,
    responses_score_pending,
    wave_rescore,
)
from tests.factories import ResponseFactory, ScoreFactory, WaveFactory
from tests.surveys.answers import page_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def writes(monkeypatch):
    """Every call of the writer and of the stamp, in order."""
    calls = []
    writer, stamp = surveys.scores.scores_write, surveys.scores.waves_data_changed

    def spy_writer(**kwargs):
        calls.append(("scores_write", kwargs["wave_id"], len(kwargs["scoring_input"])))
        return writer(**kwargs)

    def spy_stamp(*, wave_ids):
        calls.append(("waves_data_changed", list(wave_ids)))
        return stamp(wave_ids=wave_ids)

    monkeypatch.setattr(surveys.services, "scores_write", spy_writer)
    monkeypatch.setattr(surveys.imports, "scores_write", spy_writer)
    monkeypatch.setattr(surveys.scores, "waves_data_changed", spy_stamp)
    monkeypatch.setattr(surveys.services, "waves_data_changed", spy_stamp)
    return calls


def cohort_file(reference_dir, tmp_path, rows: int) -> str:
    path = tmp_path / "cohort.csv"
    pd.read_csv(reference_dir / "cohort_1500.csv", dtype=str, keep_default_na=False).head(rows).to_csv(path, index=False)
    return str(path)


def test_a_submission_goes_through_the_writer_and_stamps_its_wave_once(writes):
    response = ResponseFactory(answers=page_answers("about"), wave__data_changed_at=None)
    response_submit(response_id=response.pk, submission_key="k")
    assert writes == [("scores_write", response.wave_id, 1), ("waves_data_changed", [response.wave_id])]
    assert Wave.objects.get(pk=response.wave_id).data_changed_at is not None
    assert Score.objects.get(response=response).instrument_version == response.wave.instrument.version


def test_an_import_goes_through_the_writer_and_stamps_its_wave_once(writes, reference_dir, tmp_path):
    call_command("import_responses", cohort_file(reference_dir, tmp_path, 30), study="A", wave="2021-01")
    wave = Wave.objects.get(code="2021-01")
    assert writes == [("scores_write", wave.pk, 30), ("waves_data_changed", [wave.pk])]
    assert Score.objects.filter(response__wave=wave).count() == 30 and wave.data_changed_at is not None


def test_rescore_and_pending_go_through_the_writer(writes, reference_dir, tmp_path):
    call_command("import_responses", cohort_file(reference_dir, tmp_path, 10), study="A", wave="2021-01")
    wave = Wave.objects.get(code="2021-01")
    original = dict(Score.objects.values_list("response_id", "values"))
    Score.objects.filter(response_id__in=list(original)[:3]).delete()
    writes.clear()
    assert responses_score_pending() == 3
    assert writes == [("scores_write", wave.pk, 3), ("waves_data_changed", [wave.pk])]
    writes.clear()
    assert wave_rescore(wave=wave) == 10
    assert writes == [("scores_write", wave.pk, 10), ("waves_data_changed", [wave.pk])]
    assert dict(Score.objects.values_list("response_id", "values")) == original


def test_existing_scores_are_updated_kept_or_replaced_as_asked():
    wave = WaveFactory()
    instrument = instrument_for(wave.instrument)
    scored = ResponseFactory(wave=wave, status="submitted", answers={"gender": 1})
    ScoreFactory(response=scored, values={"stale": 1})
    other = ScoreFactory(response=ResponseFactory(wave=wave, status="draft"), values={"orphan": 1})
    frame = pd.DataFrame({"gender": [1.0]}, index=[scored.pk]).reindex(columns=instrument.item_codes)
    frame["submitted_at"], frame["duration_s"] = pd.Timestamp("2021-03-01T10:00:00+08:00"), 1200.0

    surveys.scores.scores_write(wave_id=wave.pk, scoring_input=frame, instrument=instrument, existing="keep")
    assert Score.objects.get(response=scored).values == {"stale": 1}
    surveys.scores.scores_write(wave_id=wave.pk, scoring_input=frame, instrument=instrument)
    assert "stale" not in Score.objects.get(response=scored).values and Score.objects.filter(pk=other.pk).exists()
    surveys.scores.scores_write(wave_id=wave.pk, scoring_input=frame, instrument=instrument, existing="replace_wave")
    assert list(Score.objects.filter(response__wave=wave).values_list("response_id", flat=True)) == [scored.pk]


def test_deleting_a_withdrawn_childs_answers_stamps_the_wave_through_the_same_stamp(writes):
    response = ResponseFactory(status="submitted", wave__data_changed_at=None)
    respondent_withdraw(actor=None, respondent=response.respondent)
    writes.clear()
    respondent_answers_delete(actor=None, respondent=response.respondent)
    assert writes == [("waves_data_changed", [response.wave_id])]
    assert Wave.objects.get(pk=response.wave_id).data_changed_at is not None
    assert not Response.objects.filter(pk=response.pk).exists()
