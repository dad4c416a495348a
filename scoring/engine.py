"""Scoring engine: derived variables and data-quality flags of a response frame.

Pure pandas / numpy (no Django import). Every computation is a column
operation on the whole frame, so the same code scores one response at
submission time and a wave of 100,000 for a re-score or an export.

Item lists, reverse keys, scales, option codes and value ranges come from the
:class:`~scoring.instrument.Instrument` (the data dictionary), never from
hand-copied lists of item codes.

Read off the reference cohort (``shared/reference/cohort_1500_scored.csv``,
reproduced exactly by ``tests/scoring/test_reference.py``):

* ``rsca``, ``rsca_indiv`` and ``rsca_support`` are means over the pooled items
  (not means of subscale means), under the same 80 % rule.
* ``dep`` is 6 x the mean (a sum on 6-30); ``pcr`` is the sum of the two means.
* ``migration_now`` is 0 when ``parent_away`` is 0 (the cohort stores 0 in the
  away items then); codes 0 and 1 (under 6 months) do not count as away.
* The covariates of ``flag_missing_covariates`` are the dictionary's
  ``model_covariate`` items (which must be answered) and the scores ``rsca``
  and ``pcr`` (which must be scorable, as the spec's README says).
* The residence years asked come from each residence item's ``asked_when``
  (``age+1>=N``); all are asked while the age is unknown.

Decisions where the specification is silent and the reference cohort has no
such case (each is covered by ``tests/scoring/test_engine.py``):

* Invalid answers: a value that is not one of the item's option codes, not in
  its ``value_range`` or not an integer for a coded/int item counts as missing
  (e.g. a child residence answer of 9, ``birth_month`` 13, ``rsca01`` 7).
* ``age`` is missing when ``birth_year`` or ``birth_month`` or ``submitted_at``
  is missing or invalid, or when the birth (month) lies after the submission.
  With ``age`` unknown the questionnaire could not filter the residence years,
  so all 12 ages count as asked.
* Residence answers at an age that was not asked (``a > age + 1``) are
  ignored: that age's status is empty and the answers trigger no flag.
* ``migration_now``: ``parent_away == 0`` gives 0 whatever ``mother_away`` /
  ``father_away`` hold (empty, as they are not asked then, or stale).
  Otherwise a missing away item (with ``parent_away`` 1 or missing) leaves
  ``migration_now`` missing.
* ``flag_straightline``: at least two RSCA items answered and all answered RSCA
  items identical (one skipped item does not hide straight-lining).
* Flags are always 0/1, never missing.
* ``flag_speeding``: a missing duration is never speeding; the median is over
  the non-missing durations of the frame given.
"""

from __future__ import annotations

import enum
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring.alphabet import LB1, LB2, MG, NM, SEQUENCE_YEARS, mig_column, mig_columns
from scoring.instrument import COMPOSITE_SCALES, RESIDENCE_PERSONS, RESIDENCE_YEARS, Instrument, default_instrument

__all__ = [
    "NOT_SCORED",
    "SCORED_CODES",
    "WAVE_CODES",
    "flag_speeding",
    "median_duration",
    "score_frame",
    "score_wave",
    "scored_codes",
    "output_codes",
]

# Derived codes that depend on a sample or an analysis run, not on one response.
NOT_SCORED = frozenset({"tatt", "traj_cluster", "traj_label"})
# Scores that must be scorable for a response to count as having its covariates (spec README, model_covariate).
COVARIATE_SCORES = ("rsca", "pcr")
# Derived codes computed over a whole wave (by score_wave), not per response.
WAVE_CODES = ["flag_speeding"]

# Residence option codes (see the options of res_* in the dictionary).
INSIDE, OUTSIDE, DONT_REMEMBER, DISRUPTION = 1, 2, 8, 9
# A scale or subscale is scored when answered * DEN >= items * NUM (80 %).
COVERAGE_NUM, COVERAGE_DEN = 4, 5
# Composite RSCA scores pool the items of these subscales ("rsca" pools every rsca_* subscale).
RSCA_PREFIX = "rsca_"
POOLED = {name: parts for name, parts in COMPOSITE_SCALES.items() if all(part.startswith(RSCA_PREFIX) for part in parts)}
# Scales scored as a sum prorated from the mean of answered items (n_items x mean).
PRORATED_SUM_SCALES = ("dep",)
# pcr = pcr_father + pcr_mother when both exist.
PCR_PARTS = COMPOSITE_SCALES["pcr"]
# Collapsed education: 1-2 -> 1 (primary or less), 3 -> 2 (junior high), 4-5 -> 3 (senior high+).
EDU3 = {"father_edu3": "father_edu", "mother_edu3": "mother_edu"}
EDU3_MAP = np.array([np.nan, 1, 1, 2, 3, 3], dtype=float)  # indexed by the 1-5 code
AWAY_MIN = 2  # mother_away / father_away code from which a parent counts as away (6 months+)
HEALTH_GOOD_MIN = 4
# Per-response flags computed here (flag_speeding is wave level).
FLAGS = (
    "flag_family_disruption",
    "flag_res_unknown",
    "flag_res_inconsistent",
    "flag_straightline",
    "flag_missing_covariates",
)


@dataclass
class _Plan:
    """Everything derived from an instrument once (cached per instrument)."""

    columns: list  # item codes read from the answers, in this order
    col: dict  # code -> column index in the value matrix
    option_groups: list  # (row indices, allowed codes): items sharing one set of option codes
    range_groups: list  # (row indices, low, high, integers only): items sharing one value range
    scales: dict  # scale name -> (col indices, reverse mask, reverse sum)
    out_codes: list  # derived codes computed by score_frame, dictionary order
    dtypes: dict  # derived code -> "Int64" | "float64" | "object"
    res: dict  # person -> col indices for years 1..12
    res_asked_when: dict  # person -> Condition | None for years 1..12
    seq_labels: np.ndarray  # status label per code (index = code)
    rsca_cols: np.ndarray
    covariate_items: list
    covariate_scores: list


_PLANS: weakref.WeakKeyDictionary[Instrument, _Plan] = weakref.WeakKeyDictionary()


def scored_codes(instrument: Instrument | None = None) -> list[str]:
    """Derived codes computed per response by :func:`score_frame`, in dictionary order."""
    instrument = instrument or default_instrument()
    return [c for c in instrument.derived_codes if c not in NOT_SCORED and c not in WAVE_CODES]


def output_codes(instrument: Instrument | None = None) -> list[str]:
    """Derived codes returned by :func:`score_wave`, in dictionary order."""
    instrument = instrument or default_instrument()
    return [c for c in instrument.derived_codes if c not in NOT_SCORED]


def _missing_covariates(instrument: Instrument) -> tuple[list[str], list[str]]:
    """Covariates of ``flag_missing_covariates``: items that must be answered, scores that must be scorable."""
    items = [c for c in instrument.model_covariates if instrument[c].kind == "item"]
    scores = [*(c for c in instrument.model_covariates if instrument[c].kind == "derived"), *COVARIATE_SCORES]
    if not items:
        raise ValueError("the dictionary marks no model_covariate item")
    return items, list(dict.fromkeys(scores))


def _residence_conditions(instrument: Instrument) -> dict:
    """person -> the ``asked_when`` of years 1..12 (None: always asked)."""
    return {p: [instrument[instrument.residence_code(p, y)].asked_when for y in RESIDENCE_YEARS] for p in RESIDENCE_PERSONS}


def _build_plan(instrument: Instrument) -> _Plan:
    out_codes = scored_codes(instrument)
    item_scales = {v.scale for v in instrument.items if v.scale}
    known = {"age", "mig_seq", "migration_now", "rsca", "pcr", "only_child", "health_good", *EDU3, *POOLED}
    known |= set(mig_columns())
    known |= set(FLAGS)
    unknown = [c for c in out_codes if c not in known and c not in item_scales]
    if unknown:
        raise ValueError(f"the scoring engine does not know how to compute: {', '.join(unknown)}")

    cov_items, cov_scores = _missing_covariates(instrument)
    rsca_scales = instrument.scales_with_prefix(RSCA_PREFIX)
    scale_names = [s for s in dict.fromkeys(v.scale for v in instrument.items if v.scale) if s not in NOT_SCORED]
    res_codes = [instrument.residence_code(p, y) for p in RESIDENCE_PERSONS for y in RESIDENCE_YEARS]
    needed = set(res_codes) | set(cov_items) | {"birth_year", "birth_month", "siblings", "health"}
    needed |= {"parent_away", "mother_away", "father_away", *EDU3.values()}
    for scale in scale_names:
        needed |= {v.code for v in instrument.scale_items(scale)}
    columns = [c for c in instrument.item_codes if c in needed]
    missing = needed - set(columns)
    if missing:
        raise ValueError(f"the dictionary lacks items the engine needs: {', '.join(sorted(missing))}")
    col = {c: i for i, c in enumerate(columns)}

    option_groups: dict = {}
    range_groups: dict = {}
    for i, code in enumerate(columns):
        v = instrument[code]
        if v.options:
            option_groups.setdefault(tuple(sorted(v.option_codes)), []).append(i)
        elif v.value_range:
            range_groups.setdefault((*v.value_range, v.type == "int"), []).append(i)

    def scale_spec(codes: list[str]):
        idx = np.array([col[c] for c in codes], dtype=np.intp)
        rev = np.array([instrument[c].reverse for c in codes], dtype=bool)
        # reverse keying: (lowest + highest option code) - answer, i.e. 6 - answer on 1-5
        rev_sum = np.array(
            [min(instrument[c].option_codes) + max(instrument[c].option_codes) if instrument[c].reverse else 0 for c in codes],
            dtype=float,
        )
        return idx, rev, rev_sum

    def items_of(scales) -> list[str]:
        wanted = set(scales)
        return [v.code for v in instrument.items if v.scale in wanted]

    scales = {s: scale_spec(items_of([s])) for s in scale_names}
    scales["rsca"] = scale_spec(items_of(rsca_scales))
    for name, parts in POOLED.items():
        scales[name] = scale_spec(items_of(parts))

    dtypes = {}
    for code in out_codes + WAVE_CODES:
        t = instrument[code].type
        dtypes[code] = "float64" if t == "float" else "object" if t == "string" else "Int64"

    mig_var = instrument[mig_column(SEQUENCE_YEARS[0])]
    labels = np.array([None] * (max(mig_var.option_codes) + 1), dtype=object)
    for option in mig_var.options:
        labels[option.code] = option.label["en"].split()[0]  # "NM non-migrant" -> "NM"

    return _Plan(
        columns=columns,
        col=col,
        option_groups=[(np.array(rows), np.array(codes, dtype=float)) for codes, rows in option_groups.items()],
        range_groups=[(np.array(rows), low, high, integral) for (low, high, integral), rows in range_groups.items()],
        scales=scales,
        out_codes=out_codes,
        dtypes=dtypes,
        res={p: np.array([col[instrument.residence_code(p, y)] for y in RESIDENCE_YEARS]) for p in RESIDENCE_PERSONS},
        res_asked_when=_residence_conditions(instrument),
        seq_labels=labels,
        rsca_cols=scales["rsca"][0],
        covariate_items=cov_items,
        covariate_scores=cov_scores,
    )


def _plan(instrument: Instrument) -> _Plan:
    plan = _PLANS.get(instrument)
    if plan is None:
        plan = _PLANS[instrument] = _build_plan(instrument)
    return plan


# Below this many rows the answers are read as one block (little per-column
# overhead for the one-row call at submission); above, column by column (no
# intermediate copy of the whole frame).
_BLOCK_ROWS = 2048


def _textual(dtype) -> bool:
    return dtype in (object, bool) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))


def _values(answers: pd.DataFrame, plan: _Plan) -> np.ndarray:
    """The answers as a float matrix, one row per item (``plan.columns``), one column per response.

    Missing, non-numeric and invalid answers (not an option code, out of the
    value range, not an integer for a coded or int item) are NaN.
    """
    n = len(answers)
    x = np.full((len(plan.columns), n), np.nan)
    present = [c for c in plan.columns if c in answers.columns]
    if n and present and n < _BLOCK_ROWS:
        # whole frame as one object block, item columns picked by position: no
        # per-column Series and no pandas take (slow on frames of many blocks)
        positions = answers.columns.get_indexer(present)
        block = answers.to_numpy(dtype=object)[:, positions]
        try:
            values = block.astype(float)
        except (TypeError, ValueError):  # "", pd.NA, text: one to_numeric call over the block
            flat = pd.to_numeric(pd.Series(block.ravel(), dtype=object), errors="coerce")
            values = flat.to_numpy(dtype=float, na_value=np.nan).reshape(block.shape)
        x[[plan.col[c] for c in present]] = values.T
    elif n:
        for code in present:
            column = answers[code]
            if _textual(column.dtype):
                column = pd.to_numeric(column.astype(object), errors="coerce")
            x[plan.col[code]] = column.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        for rows, codes in plan.option_groups:
            sub = x[rows]
            ok = sub == codes[0]
            for code in codes[1:]:
                ok |= sub == code
            sub[~ok] = np.nan
            x[rows] = sub
        for rows, low, high, integral in plan.range_groups:
            sub = x[rows]
            ok = (sub >= low) & (sub <= high)
            if integral:
                ok &= sub == np.floor(sub)
            sub[~ok] = np.nan
            x[rows] = sub
    return x


def _local_year_month(submitted) -> tuple[np.ndarray, np.ndarray]:
    """Year and month of the local date of each timestamp, in its own UTC offset.

    Datetime columns give their (local) ``.dt`` fields. Strings (ISO 8601) and
    Timestamp / datetime objects, possibly with mixed offsets, start their text
    form with the local date ("2021-01-15T19:25:00+08:00"): the first ten
    characters are read as ``YYYY-MM-DD`` in one vectorised pass; anything
    else gives NaN.
    """
    s = submitted if isinstance(submitted, pd.Series) else pd.Series(submitted)
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        return s.dt.year.to_numpy(dtype=float, na_value=np.nan), s.dt.month.to_numpy(dtype=float, na_value=np.nan)
    missing = s.isna().to_numpy()
    values = s.to_numpy(dtype=object, copy=True)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = s.astype(str).to_numpy(dtype=object)
    values[missing] = ""
    chars = values.astype("U10").view(np.uint32).reshape(len(values), 10).astype(np.int64)
    digits = chars - ord("0")
    digit_at = np.array([0, 1, 2, 3, 5, 6, 8, 9])
    valid = ((digits[:, digit_at] >= 0) & (digits[:, digit_at] <= 9)).all(axis=1)
    valid &= (chars[:, 4] == ord("-")) & (chars[:, 7] == ord("-"))
    year = (digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]).astype(float)
    month = (digits[:, 5] * 10 + digits[:, 6]).astype(float)
    valid &= (month >= 1) & (month <= 12)
    year[~valid] = np.nan
    month[~valid] = np.nan
    return year, month


def _scale_score(x: np.ndarray, spec) -> np.ndarray:
    """Mean of the answered items (after reverse keying) when >= 80 % are answered."""
    idx, rev, rev_sum = spec
    v = x[idx]
    if rev.any():
        v[rev] = rev_sum[rev, None] - v[rev]
    answered = ~np.isnan(v)
    count = answered.sum(axis=0)
    total = np.where(answered, v, 0.0).sum(axis=0)
    ok = count * COVERAGE_DEN >= len(idx) * COVERAGE_NUM
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (count > 0), total / count, np.nan)


def _int_array(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Float array (NaN = missing) -> nullable Int64."""
    values = np.asarray(values, dtype=float)
    mask = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int64), mask)


def _flag_array(values: np.ndarray) -> pd.arrays.IntegerArray:
    values = np.asarray(values, dtype=bool)
    return pd.arrays.IntegerArray(values.astype(np.int64), np.zeros(len(values), dtype=bool))


def score_frame(answers: pd.DataFrame, instrument: Instrument | None = None) -> pd.DataFrame:
    """Derived variables and per-response flags of each row of ``answers``.

    ``answers``: one row per response; columns are item codes (numeric, NaN =
    missing; an absent column counts as all missing) plus ``submitted_at``
    (tz-aware Timestamps or ISO 8601 strings with an offset: age uses the local
    date in the timestamp's own offset; a datetime64[UTC] column gives the UTC
    date). Other columns are ignored.

    Returns a frame with the same index and one column per derived code of
    the dictionary, in dictionary order, except ``tatt`` and ``traj_*`` (sample
    level) and ``flag_speeding`` (wave level, see :func:`score_wave`).
    Integers and codes are ``Int64``, scores ``float64``, ``mig_seq`` object
    (``None`` when undefined), flags ``Int64`` 0/1.

    Rules: reverse-keyed 1-5 items score 6 - answer; a scale, subscale or
    pooled score (``rsca``, ``rsca_indiv``, ``rsca_support``) is the mean of its
    answered items when at least 80 % are answered; ``dep`` = 6 x that mean
    (5 of 6 needed); ``pcr_father`` / ``pcr_mother`` need 4 of 5 and ``pcr`` is
    their sum. See the module docstring for the choices on ambiguous input.
    """
    instrument = instrument or default_instrument()
    plan = _plan(instrument)
    n = len(answers)
    x = _values(answers, plan)
    col = plan.col

    def item(code: str) -> np.ndarray:
        return x[col[code]]

    out: dict[str, Any] = {}

    # age: completed years from (birth_year, birth_month, 1) to the local submission date;
    # the day of birth is the 1st, so only the local year and month of submission matter.
    if "submitted_at" in answers.columns:
        year, month = _local_year_month(answers["submitted_at"])
    else:
        year = month = np.full(n, np.nan)
    by, bm = item("birth_year"), item("birth_month")
    with np.errstate(invalid="ignore"):
        age = year - by - (month < bm)
        age = np.where(np.isnan(month) | np.isnan(bm) | (age < 0), np.nan, age)
    out["age"] = age

    # residence: the years asked by each item's asked_when (age+1>=N); all 12 when age is unknown.
    unknown_age = np.isnan(age)
    with np.errstate(invalid="ignore"):
        asked_by = {
            person: np.array([unknown_age | (True if c is None else c.holds(age)) for c in conditions])  # (12, n)
            for person, conditions in plan.res_asked_when.items()
        }
    asked = asked_by["child"]
    child = np.where(asked, x[plan.res["child"]], np.nan)
    father = np.where(asked_by["father"], x[plan.res["father"]], np.nan)
    mother = np.where(asked_by["mother"], x[plan.res["mother"]], np.nan)
    usable = lambda a: (a == INSIDE) | (a == OUTSIDE)  # noqa: E731  (not 8, 9 or missing)
    inconsistent = (child == OUTSIDE) & (father == INSIDE) & (mother == INSIDE)
    defined = usable(child) & usable(father) & usable(mother) & ~inconsistent
    parents_out = (father == OUTSIDE).astype(int) + (mother == OUTSIDE).astype(int)
    status = np.select(
        [child == OUTSIDE, parents_out == 0, parents_out == 1],
        [MG, NM, LB1],
        default=LB2,
    ).astype(float)
    status[~defined] = np.nan
    for j, y in enumerate(RESIDENCE_YEARS):
        out[mig_column(y)] = status[j]
    all_defined = defined.all(axis=0)
    seq = np.full(n, None, dtype=object)
    if all_defined.any():
        labels = plan.seq_labels[status[:, all_defined].astype(np.intp)].astype(str)
        joined = labels[0]
        for j in range(1, labels.shape[0]):
            joined = np.char.add(np.char.add(joined, "-"), labels[j])
        seq[all_defined] = joined.astype(object)
    out["mig_seq"] = seq

    # current parental migration: mother only = 1, father only = 2, both = 3.
    pa, ma, fa = item("parent_away"), item("mother_away"), item("father_away")
    with np.errstate(invalid="ignore"):
        now = (ma >= AWAY_MIN) * 1.0 + (fa >= AWAY_MIN) * 2.0
    now[np.isnan(ma) | np.isnan(fa)] = np.nan
    now[pa == 0] = 0.0
    out["migration_now"] = now

    # scales
    scores = {name: _scale_score(x, spec) for name, spec in plan.scales.items()}
    for name in PRORATED_SUM_SCALES:
        if name in scores:
            scores[name] = scores[name] * len(plan.scales[name][0])
    scores["pcr"] = scores[PCR_PARTS[0]] + scores[PCR_PARTS[1]]
    out.update(scores)

    # covariates
    with np.errstate(invalid="ignore"):
        sib, health = item("siblings"), item("health")
        out["only_child"] = np.where(np.isnan(sib), np.nan, sib == 0)
        out["health_good"] = np.where(np.isnan(health), np.nan, health >= HEALTH_GOOD_MIN)
        for code, source in EDU3.items():
            edu = item(source)
            out[code] = EDU3_MAP[np.where(np.isnan(edu), 0, edu).astype(np.intp)]

    # flags
    out["flag_family_disruption"] = ((father == DISRUPTION) | (mother == DISRUPTION)).any(axis=0)
    unknown = lambda a: np.isnan(a) | (a == DONT_REMEMBER)  # noqa: E731
    out["flag_res_unknown"] = (asked & (unknown(child) | unknown(father) | unknown(mother))).any(axis=0)
    out["flag_res_inconsistent"] = inconsistent.any(axis=0)
    rsca_items = x[plan.rsca_cols]
    gaps = np.isnan(rsca_items)
    highest = np.where(gaps, -np.inf, rsca_items).max(axis=0)
    lowest = np.where(gaps, np.inf, rsca_items).min(axis=0)
    out["flag_straightline"] = ((~gaps).sum(axis=0) >= 2) & (highest == lowest)
    missing_cov = np.isnan(x[[col[c] for c in plan.covariate_items]]).any(axis=0)
    for code in plan.covariate_scores:
        missing_cov |= np.isnan(np.asarray(out[code], dtype=float))
    out["flag_missing_covariates"] = missing_cov

    columns = {}
    for code in plan.out_codes:
        dtype = plan.dtypes[code]
        value = out[code]
        if code in FLAGS:
            columns[code] = _flag_array(value)
        elif dtype == "Int64":
            columns[code] = _int_array(value)
        elif dtype == "float64":
            columns[code] = np.asarray(value, dtype=float)
        else:
            columns[code] = value
    return pd.DataFrame(columns, index=answers.index, columns=plan.out_codes)


class _Median(enum.Enum):
    OF_THE_SERIES = "of the series"


OF_THE_SERIES = _Median.OF_THE_SERIES
"""``flag_speeding``'s default: compare with the median of the durations given (one whole wave)."""


def median_duration(duration_s) -> float | None:
    """The median of the non-missing durations (seconds), None when none is known: what ``flag_speeding`` compares with."""
    d = pd.to_numeric(pd.Series(duration_s, dtype="object"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = d[~np.isnan(d)]
    return float(np.median(finite)) if finite.size else None


def flag_speeding(duration_s: pd.Series, median: float | None | _Median = OF_THE_SERIES) -> pd.Series:
    """The speeding rule: 1 when ``duration_s`` is below one third of the wave's median duration.

    ``median`` is the wave's median duration (:func:`median_duration` of all
    its durations, e.g. read once before a wave is streamed in chunks); by
    default it is the median of the non-missing durations given, which must
    then be the whole wave. A missing duration is never speeding, and with no
    median (no duration known) nothing is. Returns ``Int64`` 0/1 with the
    series' index.
    """
    d = pd.to_numeric(pd.Series(duration_s), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if median is OF_THE_SERIES:
        median = median_duration(d)
    if median is None:
        flags = np.zeros(len(d), dtype=bool)
    else:
        with np.errstate(invalid="ignore"):
            flags = d < median / 3
    index = duration_s.index if isinstance(duration_s, pd.Series) else None
    return pd.Series(_flag_array(flags), index=index, name="flag_speeding")


def score_wave(answers: pd.DataFrame, instrument: Instrument | None = None) -> pd.DataFrame:
    """:func:`score_frame` plus ``flag_speeding`` over the whole frame (one wave).

    Columns: every derived code but ``tatt`` and ``traj_*``, in dictionary order.
    A missing ``duration_s`` column gives ``flag_speeding`` 0.
    """
    instrument = instrument or default_instrument()
    scored = score_frame(answers, instrument)
    if "duration_s" in answers.columns:
        speeding = flag_speeding(answers["duration_s"])
    else:
        speeding = flag_speeding(pd.Series(np.nan, index=answers.index))
    scored["flag_speeding"] = speeding.to_numpy()
    scored["flag_speeding"] = scored["flag_speeding"].astype("Int64")
    return scored[output_codes(instrument)]


SCORED_CODES = scored_codes()
