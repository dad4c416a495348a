"""A wave's rows for analysis from a typed snapshot: only responses scored since the last run are decoded.

:func:`surveys.frames.wave_frame` decodes every response's answers and scores
from JSON, which is most of the time a rebuild spends reading a large wave.
The snapshot keeps the decoded item and derived columns (typed, in a Parquet
file per wave and instrument version under ``settings.SNAPSHOT_DIR``) with
the ``scored_at`` of each row's score. A read takes the wave's current rows
and score stamps from the database (one query, no JSON), keeps the snapshot's
columns for every row whose stamp is unchanged, decodes only the rows that are
new or scored again (a submission, a re-score, an import), and writes the
snapshot back. Rows that left the wave (a withdrawal, deleted answers) are
simply not among the current rows. Meta columns (pid, class, dates) always
come from the database, and ``flag_speeding`` is computed over the whole
wave, so the frame is the one ``wave_frame`` gives.

The file is a cache, local to the worker that runs the analysis: when it is
missing, unreadable or of another instrument version, the read decodes
everything and writes it again. Nothing of it is ever the only copy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings

from scoring.engine import flag_speeding
from scoring.instrument import Instrument

from .frames import META_FIELDS, answers_frame, local_times, wave_responses

ID, STAMP = "_response_id", "_scored_at"


def snapshot_path(wave, instrument: Instrument) -> Path:
    return Path(settings.SNAPSHOT_DIR) / f"wave-{wave.pk}-{instrument.version}-{instrument.fingerprint}.parquet"


def wave_frame_from_snapshot(wave, instrument: Instrument) -> pd.DataFrame:
    """The rows of :func:`surveys.frames.wave_frame` (without ``extra``), decoding JSON only for rows scored since the last read."""
    current = pd.DataFrame(
        list(wave_responses(wave).order_by("id").values_list("id", "score__scored_at", *META_FIELDS.values())),
        columns=[ID, STAMP, *META_FIELDS],
    )
    current[STAMP] = pd.to_datetime(current[STAMP], utc=True)
    path = snapshot_path(wave, instrument)
    kept = _snapshot_rows(path, current)
    missing = current.loc[~current[ID].isin(kept[ID]), ID] if kept is not None else current[ID]
    decoded = _decoded(wave, instrument, missing.tolist())
    decoded.insert(0, STAMP, current.set_index(ID)[STAMP].reindex(decoded[ID]).to_numpy())
    columns = pd.concat([part for part in (kept, decoded) if part is not None and len(part)] or [decoded], ignore_index=True)
    columns = columns.set_index(ID).reindex(current[ID]).reset_index().infer_objects()
    _write(path, columns)
    return _assembled(current, columns, instrument)


def _snapshot_rows(path: Path, current: pd.DataFrame) -> pd.DataFrame | None:
    """The snapshot's rows whose score stamp is the current one (a response scored again is decoded again)."""
    try:
        stored = pd.read_parquet(path)
    except (OSError, ValueError):  # no snapshot yet, or one that cannot be read: decode everything
        return None
    matched = stored.merge(current[[ID, STAMP]], on=[ID, STAMP], how="inner")
    return matched


def _decoded(wave, instrument: Instrument, response_ids: list[int]) -> pd.DataFrame:
    """Item and derived columns of the given responses, decoded from their JSON (one query per 5,000 ids)."""
    rows: list[tuple] = []
    for start in range(0, len(response_ids), 5000):
        ids = response_ids[start : start + 5000]
        rows += wave_responses(wave).filter(pk__in=ids).values_list("id", "answers", "score__values")
    items = answers_frame([answers for _id, answers, _values in rows], instrument)
    derived = pd.DataFrame.from_records([values or {} for _id, _answers, values in rows], columns=instrument.derived_codes)
    derived = derived.drop(columns=["flag_speeding"], errors="ignore")
    frame = pd.concat([items, derived], axis=1)
    frame.insert(0, ID, np.array([row[0] for row in rows], dtype=np.int64))
    return frame


def _write(path: Path, columns: pd.DataFrame) -> None:
    """Write the snapshot atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        columns.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    except (OSError, ValueError, TypeError):  # a column pyarrow cannot store: the next read decodes again
        Path(temporary).unlink(missing_ok=True)


def _assembled(current: pd.DataFrame, columns: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    meta = current[list(META_FIELDS)].copy()
    for column in ("started_at", "submitted_at"):
        meta[column] = local_times(meta[column]).to_numpy() if len(meta) else meta[column]
    frame = pd.concat([meta, columns.drop(columns=[ID, STAMP])], axis=1)
    frame["flag_speeding"] = flag_speeding(frame["duration_s"]).to_numpy()  # against the median of the whole wave
    return frame[instrument.codes]
