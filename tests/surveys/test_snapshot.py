"""The typed snapshot: the analysis reads the same frame as from JSON, decoding only what changed since its last read."""

import pandas as pd
import pytest
from django.core.management import call_command

from studies.instruments import instrument_for
from studies.models import Wave
from surveys import snapshot
from surveys.frames import wave_frame
from surveys.models import Response
from surveys.services import respondent_answers_delete, respondent_withdraw, response_score
from tests.paths import REFERENCE_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    lines = (REFERENCE_DIR / "cohort_1500.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "cohort_300.csv").write_text("".join(lines[:301]), encoding="utf-8")  # the header and 300 children
    call_command("import_responses", str(tmp_path / "cohort_300.csv"), study="S", wave="2021-01")
    return Wave.objects.select_related("study", "instrument").get(study__code="S", code="2021-01")


@pytest.fixture
def decoded(monkeypatch):
    """The response ids each read decodes from JSON."""
    calls = []
    original = snapshot._decoded

    def spy(wave, instrument, response_ids):
        calls.append(sorted(response_ids))
        return original(wave, instrument, response_ids)

    monkeypatch.setattr(snapshot, "_decoded", spy)
    return calls


def read_and_compare(wave) -> pd.DataFrame:
    instrument = instrument_for(wave.instrument)
    frame = snapshot.wave_frame_from_snapshot(wave, instrument)
    pd.testing.assert_frame_equal(frame, wave_frame(wave, instrument))
    return frame


def test_the_first_read_decodes_every_row_and_the_next_none(wave, decoded):
    first = read_and_compare(wave)
    assert len(first) == 300 and len(decoded[0]) == 300
    assert snapshot.snapshot_path(wave, instrument_for(wave.instrument)).exists()
    read_and_compare(wave)
    assert decoded[1] == []


def test_a_response_scored_again_is_decoded_again(wave, decoded):
    read_and_compare(wave)
    response = Response.objects.filter(wave=wave).order_by("id")[10]
    response.answers = {**response.answers, "dep1": 4, "dep2": 4}
    response.save(update_fields=["answers"])
    response_score(response=response)
    read_and_compare(wave)
    assert decoded[1] == [response.pk]


def test_a_new_submission_comes_in_and_withdrawn_or_deleted_answers_leave(wave, decoded):
    late = Response.objects.filter(wave=wave).order_by("id")[3]
    Response.objects.filter(pk=late.pk).update(status=Response.Status.DRAFT)
    assert len(read_and_compare(wave)) == 299
    Response.objects.filter(pk=late.pk).update(status=Response.Status.SUBMITTED)
    response_score(response=Response.objects.get(pk=late.pk))
    withdrawn, deleted = (response.respondent for response in Response.objects.filter(wave=wave).order_by("id")[20:22])
    respondent_withdraw(actor=None, respondent=withdrawn)
    respondent_withdraw(actor=None, respondent=deleted)
    respondent_answers_delete(actor=None, respondent=deleted)
    frame = read_and_compare(wave)
    assert len(frame) == 298 and decoded[1] == [late.pk]
    assert not {withdrawn.pid, deleted.pid} & set(frame["pid"])


def test_an_unreadable_snapshot_is_rebuilt(wave, decoded):
    read_and_compare(wave)
    snapshot.snapshot_path(wave, instrument_for(wave.instrument)).write_bytes(b"not parquet")
    read_and_compare(wave)
    assert len(decoded[1]) == 300
