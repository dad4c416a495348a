"""Import of questionnaires in the canonical wide layout (the columns of ``variables.csv``).

Every cell is checked against the dictionary column by column; a row with any
invalid cell is reported (row, column, value, reason) and not stored, every
valid row is stored and scored. ``pid`` + wave is the key: a response already
present is left as it is, so importing a file twice changes nothing.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from scoring.instrument import Instrument
from studies.instruments import instrument_for
from studies.models import Respondent, School, SchoolClass, Study, Wave

from .frames import answers_frame, local_times
from .models import Response
from .scores import scores_write
from .services import answers_record_imported

REQUIRED_COLUMNS = ("pid", "school_code", "class_code", "submitted_at")


class ImportFileError(ValueError):
    """The file as a whole cannot be read as the canonical layout; nothing was stored."""


@dataclass(frozen=True)
class RowError:
    row: int  # the row's line in the file, the header being line 1 (as a spreadsheet numbers it)
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({error.row for error in self.errors})


def read_wide_csv(source) -> pd.DataFrame:
    """All cells as stripped strings; '' is an empty cell."""
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ImportFileError(_("The file is not a readable CSV file: %(error)s") % {"error": error}) from error
    return frame.apply(lambda column: column.str.strip())


def _check_columns(frame: pd.DataFrame, instrument: Instrument) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ImportFileError(_("Required columns are missing: %(columns)s") % {"columns": ", ".join(missing)})
    unknown = [column for column in frame.columns if column not in instrument]
    if unknown:
        raise ImportFileError(
            _("Columns not in the data dictionary: %(columns)s") % {"columns": ", ".join(map(str, unknown))}
        )
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise ImportFileError(_("Columns appear twice: %(columns)s") % {"columns": ", ".join(duplicated)})


def _errors_where(frame: pd.DataFrame, mask: pd.Series, column: str, reason: str) -> list[RowError]:
    return [RowError(int(position) + 2, column, frame[column].iloc[position], reason) for position in np.flatnonzero(mask)]


def validate_wide(frame: pd.DataFrame, instrument: Instrument, wave_code: str) -> list[RowError]:
    """Every invalid cell of the frame, checked a column at a time."""
    errors: list[RowError] = []
    for column in ("pid", "school_code", "class_code"):
        errors += _errors_where(frame, frame[column] == "", column, _("required"))
    repeated = frame["pid"].duplicated(keep="first") & (frame["pid"] != "")
    errors += _errors_where(frame, repeated, "pid", _("pid appears more than once in the file"))
    if "wave" in frame:
        errors += _errors_where(
            frame, (frame["wave"] != "") & (frame["wave"] != wave_code), "wave", _("not the wave being imported")
        )
    if "lang" in frame:
        allowed = {str(code) for code in instrument["lang"].option_codes}
        errors += _errors_where(frame, (frame["lang"] != "") & ~frame["lang"].isin(allowed), "lang", _("unknown language"))
    for column in ("started_at", "submitted_at"):
        if column in frame:
            parsed = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
            bad = (frame[column] != "") & parsed.isna()
            errors += _errors_where(frame, bad, column, _("not an ISO 8601 date and time"))
    errors += _errors_where(frame, frame["submitted_at"] == "", "submitted_at", _("required"))
    if "duration_s" in frame:
        seconds = pd.to_numeric(frame["duration_s"], errors="coerce")
        bad = (frame["duration_s"] != "") & (seconds.isna() | (seconds < 0) | (seconds % 1 != 0))
        errors += _errors_where(frame, bad, "duration_s", _("not a whole number of seconds"))
    for variable in instrument.items:
        if variable.code not in frame:
            continue
        raw = frame[variable.code]
        numbers = pd.to_numeric(raw, errors="coerce")
        whole = numbers.notna() & (numbers % 1 == 0)
        allowed = whole & numbers.map(lambda value, variable=variable: variable.allowed(int(value)) if value == value else False)
        errors += _errors_where(frame, (raw != "") & ~allowed, variable.code, _("not one of the allowed answers"))
    return sorted(errors, key=lambda error: (error.row, error.column))


def responses_import(*, source, study: Study, wave: Wave) -> ImportReport:
    """Store and score every valid row of ``source`` (a path or a file) as submitted responses of ``wave``."""
    instrument = instrument_for(wave.instrument)
    frame = read_wide_csv(source if not isinstance(source, (str, Path)) else Path(source))
    _check_columns(frame, instrument)
    report = ImportReport(rows=len(frame))
    report.errors = validate_wide(frame, instrument, wave.code)
    invalid = {error.row - 2 for error in report.errors}
    valid = frame.iloc[[position for position in range(len(frame)) if position not in invalid]]
    present = set(Response.objects.filter(wave=wave).values_list("respondent__pid", flat=True))
    new = valid[~valid["pid"].isin(present)]
    report.already_present = len(valid) - len(new)
    if len(new):
        _store(new, instrument, study, wave)
    report.stored = len(new)
    return report


@transaction.atomic
def _store(rows: pd.DataFrame, instrument: Instrument, study: Study, wave: Wave) -> None:
    classes = _classes_for(rows, study)
    class_ids = [classes[key] for key in zip(rows["school_code"], rows["class_code"])]
    respondents = _respondents_for(rows, study, class_ids)
    answers = answers_frame(rows.to_dict(orient="records"), instrument)
    answer_dicts = [
        {code: int(value) for code, value in record.items() if value == value}
        for record in answers.to_dict(orient="records")
    ]
    submitted = local_times(rows["submitted_at"])
    started = local_times(rows["started_at"].replace("", None)) if "started_at" in rows else submitted
    duration = pd.to_numeric(rows["duration_s"], errors="coerce") if "duration_s" in rows else pd.Series(np.nan, index=rows.index)
    lang = rows["lang"].replace("", "zh-hans") if "lang" in rows else pd.Series("zh-hans", index=rows.index)
    version = rows["instrument_version"].replace("", wave.instrument.version) if "instrument_version" in rows else None
    responses = Response.objects.bulk_create(
        [
            Response(
                respondent_id=respondents[pid],
                wave=wave,
                school_class_id=class_id,
                status=Response.Status.SUBMITTED,
                answers=answer_dict,
                lang=lang.iloc[i],
                instrument_version=version.iloc[i] if version is not None else wave.instrument.version,
                started_at=_timestamp(started.iloc[i]),
                submitted_at=_timestamp(submitted.iloc[i]),
                last_activity_at=_timestamp(submitted.iloc[i]),
                duration_s=None if pd.isna(duration.iloc[i]) else int(duration.iloc[i]),
                current_section="review",
                source="import",
            )
            for i, (pid, class_id, answer_dict) in enumerate(zip(rows["pid"], class_ids, answer_dicts))
        ],
        batch_size=1000,
    )
    ids = [response.pk for response in responses]
    if any(pk is None for pk in ids):  # backends that do not return ids from bulk_create
        lookup = dict(Response.objects.filter(wave=wave).values_list("respondent__pid", "id"))
        ids = [lookup[pid] for pid in rows["pid"]]
    answers_record_imported(response_answers=zip(ids, answer_dicts))
    to_score = answers.set_axis(ids)
    to_score["submitted_at"] = submitted.to_numpy()
    to_score["duration_s"] = duration.to_numpy()
    scores_write(wave_id=wave.pk, scoring_input=to_score, instrument=instrument)


def _timestamp(value):
    return None if pd.isna(value) else value.to_pydatetime()


def _classes_for(rows: pd.DataFrame, study: Study) -> dict[tuple[str, str], int]:
    """Schools and classes of the rows, created when new; (school_code, class_code) -> class id."""
    school_codes = sorted(set(rows["school_code"]))
    School.objects.bulk_create([School(study=study, code=code) for code in school_codes], ignore_conflicts=True)
    schools = dict(School.objects.filter(study=study, code__in=school_codes).values_list("code", "id"))
    pairs = sorted(set(zip(rows["school_code"], rows["class_code"])))
    SchoolClass.objects.bulk_create(
        [SchoolClass(school_id=schools[school], code=code) for school, code in pairs], ignore_conflicts=True
    )
    existing = SchoolClass.objects.filter(school__study=study, school__code__in=school_codes).values_list(
        "school__code", "code", "id"
    )
    return {(school, code): pk for school, code, pk in existing}


def _respondents_for(rows: pd.DataFrame, study: Study, class_ids: list[int]) -> dict[str, int]:
    """pid -> respondent id of the study; a new pid becomes a respondent in the row's class."""
    pids = list(rows["pid"])
    Respondent.objects.bulk_create(
        [Respondent(study=study, pid=pid, school_class_id=class_id) for pid, class_id in zip(pids, class_ids)],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return dict(Respondent.objects.filter(study=study).values_list("pid", "id"))
