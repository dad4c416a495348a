"""Responses as pandas frames: the one shape scoring, exports and analyses read.

Each builder runs a fixed number of queries whatever the number of rows
(``values_list`` + ``iterator``), and turns answers into columns at once.
"""

import numpy as np
import pandas as pd
from django.conf import settings

from scoring.engine import flag_speeding
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


def answers_frame(answers: list[dict], instrument: Instrument, index=None) -> pd.DataFrame:
    """Item columns (float, NaN = unanswered) from a list of answer dicts."""
    frame = pd.DataFrame.from_records(answers, index=index, columns=instrument.item_codes)
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


def wave_frame(wave, instrument: Instrument, *, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per submitted response of ``wave`` (withdrawn children left out): meta, items, derived columns.

    ``flag_speeding`` depends on the wave's median duration, so it is computed
    here, on read, over the wave's submitted responses. ``extra`` (indexed by
    pid) supplies the columns that analysis runs derive (``tatt``, ``traj_*``).
    """
    rows = (
        Response.objects.filter(wave=wave, status=Response.Status.SUBMITTED, respondent__withdrawn_at__isnull=True)
        .order_by("id")
        .values_list(*META_FIELDS.values(), "answers", "score__values")
    )
    records = list(rows.iterator(chunk_size=5000))
    n_meta = len(META_FIELDS)
    meta = pd.DataFrame([record[:n_meta] for record in records], columns=list(META_FIELDS))
    items = answers_frame([record[n_meta] for record in records], instrument)
    derived = pd.DataFrame.from_records(
        [record[n_meta + 1] or {} for record in records], columns=instrument.derived_codes
    )
    for column in ("started_at", "submitted_at"):
        meta[column] = local_times(meta[column]).to_numpy() if len(meta) else meta[column]
    frame = pd.concat([meta, items, derived], axis=1)
    frame["flag_speeding"] = flag_speeding(pd.to_numeric(frame["duration_s"], errors="coerce")).to_numpy()
    if extra is not None and len(frame):
        joined = frame[["pid"]].join(extra, on="pid")
        for column in extra.columns:
            frame[column] = joined[column].to_numpy()
    return frame[instrument.codes]


def typed_for_export(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Option codes as integers, floats as floats, strings as strings; missing stays missing."""
    typed = {}
    for code in frame.columns:
        variable = instrument[code] if code in instrument else None
        column = frame[code]
        if variable is None:
            typed[code] = column
        elif variable.type in ("choice", "likert5", "int", "bool"):
            typed[code] = pd.to_numeric(column, errors="coerce").round().astype("Int64")
        elif variable.type == "float":
            typed[code] = pd.to_numeric(column, errors="coerce").astype("float64")
        elif variable.type == "datetime":
            typed[code] = column.map(lambda value: value.isoformat() if isinstance(value, pd.Timestamp) else value)
        else:
            typed[code] = column.where(column.notna(), None).replace({"": None, np.nan: None})
    return pd.DataFrame(typed, index=frame.index)
