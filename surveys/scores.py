"""The one writer of scores, and the one stamp of a wave's data changing.

Every score is written here (:func:`scores_write`): a submission, the re-score
of a wave, the sweep of pending submissions and the import all hand it the
scoring input of their responses as one frame. It scores the frame with the
engine, writes the rows in bulk and stamps the wave's ``data_changed_at``
(:func:`waves_data_changed`, which is also what any other change of a wave's
data, such as deleting a withdrawn child's answers, calls), so an analysis
rebuild notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd
from django.db import transaction
from django.utils import timezone

from scoring.engine import score_frame
from scoring.instrument import Instrument
from studies.models import Wave

from .models import Score

BATCH_SIZE = 1000


def scores_write(
    *,
    wave_id: int,
    scoring_input: pd.DataFrame,
    instrument: Instrument,
    existing: Literal["update", "keep", "replace_wave"] = "update",
) -> int:
    """Score ``scoring_input`` (one row per response, indexed by response id) and store the scores: one bulk write.

    ``existing`` says what happens to scores already stored: ``update`` them
    (a submission scored again), ``keep`` them (the pending sweep: a retried
    submission scored the response meanwhile), or ``replace_wave``: delete
    every score of the wave first (a re-score after a rule change). Stamps the
    wave's ``data_changed_at`` once, in the same transaction. Returns the
    number of responses scored.
    """
    derived = json_values(score_frame(scoring_input, instrument))
    scores = [Score(response_id=rid, values=values, instrument_version=instrument.version) for rid, values in derived.items()]
    with transaction.atomic():
        if existing == "replace_wave":
            Score.objects.filter(response__wave_id=wave_id).delete()
        if existing == "update":
            Score.objects.bulk_create(
                scores,
                batch_size=BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["response"],
                update_fields=["values", "instrument_version", "scored_at"],
            )
        else:
            Score.objects.bulk_create(scores, batch_size=BATCH_SIZE, ignore_conflicts=existing == "keep")
        waves_data_changed(wave_ids=[wave_id])
    return len(scores)


def waves_data_changed(*, wave_ids: Iterable[int]) -> None:
    """Stamp the waves' ``data_changed_at``: their exports and analyses are out of date (the rebuild reads it)."""
    Wave.objects.filter(pk__in=list(wave_ids)).update(data_changed_at=timezone.now())


def json_values(derived: pd.DataFrame) -> pd.Series:
    """Each derived row as a JSON-ready dict (None for missing, plain ints and floats)."""
    plain = derived.astype("object").where(derived.notna(), None)
    records = plain.to_dict(orient="records")
    return pd.Series([{code: _plain(value) for code, value in record.items()} for record in records], index=derived.index)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
