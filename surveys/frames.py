"""Responses as pandas frames: the one shape scoring, exports and analyses read.

Each builder runs a fixed number of queries whatever the number of rows
(``values_list`` + ``iterator``), and turns answers into columns at once.

A whole wave is read as a stream of chunks (:func:`wave_frame_chunks`) so
that an export of any size holds one chunk in memory at a time:

1. one query reads the wave's durations (``duration_s`` only) for the median
   that ``flag_speeding`` compares with;
2. one query streams the rows (a server-side cursor on PostgreSQL,
   ``fetchmany`` on SQLite), cut into chunks of ``chunk_size`` rows.

Two queries in all, whatever the number of rows (tests fix this number).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count

from scoring.engine import flag_speeding, median_duration
from scoring.instrument import Instrument

from .models import Response

META_FIELDS = {
    "pid": "respondent__pid",
    "school_code": "school_class__school__code",
    "class_code": "school_class__code",
    "wave": "wave__code",
    "instrument_version": "instrument_version",
    "lang": "lang",
    "started_at": "started_at",
    "submitted_at": "submitted_at",
    "duration_s": "duration_s",
}
CHUNK_SIZE = 5_000  # rows per chunk: about 80 MB of decoded answers and scores at most


NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float", "empty")  # pandas' infer_dtype of numbers and None only


def answers_frame(answers: list[dict], instrument: Instrument, index=None) -> pd.DataFrame:
    """Item columns (float, NaN = unanswered) from a list of answer dicts.

    Stored answers are numbers: one object matrix, checked at once to hold
    numbers and None only, becomes the float columns in one step. Anything
    else (a number as text, a boolean) goes through ``pd.to_numeric`` column by
    column, where what is not a number becomes NaN.
    """
    codes = instrument.item_codes
    matrix = np.array([[answer.get(code) for code in codes] for answer in answers], dtype=object).reshape(len(answers), len(codes))
    if pd.api.types.infer_dtype(matrix.ravel(), skipna=True) in NUMERIC_KINDS:
        return pd.DataFrame(matrix, index=index, columns=codes).astype("float64")
    frame = pd.DataFrame.from_records(answers, index=index, columns=codes)
    return frame.apply(pd.to_numeric, errors="coerce").astype("float64")


def local_times(values) -> pd.Series:
    """Timestamps in the study's time zone: ages and dates are local."""
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True).dt.tz_convert(settings.TIME_ZONE)


def scoring_input(rows: list[dict], instrument: Instrument) -> pd.DataFrame:
    """What ``scoring.engine.score_frame`` reads, from rows with answers, submitted_at and duration_s."""
    index = [row["id"] for row in rows]
    frame = answers_frame([row["answers"] for row in rows], instrument, index=index)
    frame["submitted_at"] = local_times([row["submitted_at"] for row in rows]).to_numpy()
    frame["duration_s"] = pd.to_numeric(pd.Series([row["duration_s"] for row in rows], index=index), errors="coerce")
    return frame


def wave_responses(wave):
    """The responses an export or analysis reads: submitted, of children who have not withdrawn.

    Read from ``settings.ANALYTICS_DATABASE``: the read replica when one is
    configured (``DATABASE_REPLICA_URL``), else the primary.
    """
    return Response.objects.using(settings.ANALYTICS_DATABASE).filter(
        wave=wave, status=Response.Status.SUBMITTED, respondent__withdrawn_at__isnull=True
    )


def wave_size_and_median(wave) -> tuple[int, float | None]:
    """Rows of the wave's export and their median ``duration_s`` (one query; None when no duration is known)."""
    values = list(wave_responses(wave).values_list("duration_s", flat=True))
    return len(values), median_duration(values)


def wave_median_duration(wave) -> float | None:
    """The median ``duration_s`` of the wave's exported responses (one query), None when there is none."""
    return wave_size_and_median(wave)[1]


def _records_frame(records: list[tuple], instrument: Instrument, median: float | None, extra: pd.DataFrame | None) -> pd.DataFrame:
    n_meta = len(META_FIELDS)
    meta = pd.DataFrame([record[:n_meta] for record in records], columns=list(META_FIELDS))
    items = answers_frame([record[n_meta] for record in records], instrument)
    derived = pd.DataFrame.from_records([record[n_meta + 1] or {} for record in records], columns=instrument.derived_codes)
    for column in ("started_at", "submitted_at"):
        meta[column] = local_times(meta[column]).to_numpy() if len(meta) else meta[column]
    frame = pd.concat([meta, items, derived], axis=1)
    frame["flag_speeding"] = flag_speeding(frame["duration_s"], median).to_numpy()
    if extra is not None and len(frame):
        joined = frame[["pid"]].join(extra, on="pid")
        for column in extra.columns:
            frame[column] = joined[column].to_numpy()
    return frame[instrument.codes]


_UNSET = object()


def wave_frame_chunks(
    wave,
    instrument: Instrument,
    *,
    extra: pd.DataFrame | None = None,
    chunk_size: int = CHUNK_SIZE,
    median=_UNSET,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`wave_frame` in chunks of at most ``chunk_size`` (two queries in all).

    The median duration is read first, so ``flag_speeding`` of every chunk
    compares with the whole wave's median. A wave without responses yields
    one empty frame (so that writers still write a header). Pass ``median``
    when it was read already (:func:`wave_size_and_median`): one query less.
    """
    if median is _UNSET:
        median = wave_median_duration(wave)
    rows = wave_responses(wave).order_by("id").values_list(*META_FIELDS.values(), "answers", "score__values")
    iterator = rows.iterator(chunk_size=min(chunk_size, 5000))
    first = True
    while True:
        records = list(islice(iterator, chunk_size))
        if not records and not first:
            return
        yield _records_frame(records, instrument, median, extra)
        first = False
        if len(records) < chunk_size:
            return


def wave_frame(wave, instrument: Instrument, *, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per submitted response of ``wave`` (withdrawn children left out): meta, items, derived columns.

    ``flag_speeding`` depends on the wave's median duration, so it is computed
    here, on read, over the wave's submitted responses. ``extra`` (indexed by
    pid) supplies the columns that analysis runs derive (``tatt``, ``traj_*``).
    """
    chunks = list(wave_frame_chunks(wave, instrument, extra=extra))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


def wave_flags_frame(wave, flags: list[str]) -> pd.DataFrame:
    """Only the flag columns of the wave's export rows, one row per response, in no particular order
    (one query: stored flags and durations).

    The database counts the responses of each combination of duration and
    stored flags (``GROUP BY``): a wave of 100,000 responses sends a few
    thousand rows, not 100,000 rows of JSON values; each combination is then
    repeated as many times as it was counted. ``flag_speeding`` is computed
    from the durations against their median, exactly as :func:`wave_frame` does.
    """
    stored = [flag for flag in flags if flag != "flag_speeding"]
    groups = list(
        wave_responses(wave)
        .order_by()
        .values_list("duration_s", *[f"score__values__{flag}" for flag in stored])
        .annotate(rows=Count("*"))
    )
    counts = np.array([group[-1] for group in groups], dtype=np.int64)
    frame = pd.DataFrame([group[:-1] for group in groups], columns=["duration_s", *stored])
    frame = frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
    for flag in stored:
        frame[flag] = pd.to_numeric(frame[flag], errors="coerce").astype("Int64")
    frame["flag_speeding"] = flag_speeding(frame["duration_s"]).to_numpy()  # these are the whole wave's durations
    return frame[flags]


def typed_for_export(frame: pd.DataFrame, instrument: Instrument, *, compact: bool = False) -> pd.DataFrame:
    """Option codes as integers, floats as floats, strings as strings; missing stays missing.

    With ``compact`` (what the Stata and SPSS writers keep until they write
    once): the same values, with every number as float64 (integral ones
    rounded, NaN for missing) and date-times left as read (local timestamps),
    not nullable integers and ISO 8601 text that the writer would turn back.
    """
    typed = {}
    for code in frame.columns:
        variable = instrument.get(code)
        column = frame[code]
        if variable is None:
            typed[code] = column
        elif variable.type in ("choice", "likert5", "int", "bool"):
            number = pd.to_numeric(column, errors="coerce")
            typed[code] = number.astype("float64").round() if compact else number.round().astype("Int64")
        elif variable.type == "float":
            typed[code] = pd.to_numeric(column, errors="coerce").astype("float64")
        elif variable.type == "datetime":
            typed[code] = column if compact else column.map(lambda value: value.isoformat() if isinstance(value, pd.Timestamp) else value)
        else:
            typed[code] = column.where(column.notna(), None).replace({"": None, np.nan: None})
    return pd.DataFrame(typed, index=frame.index)
