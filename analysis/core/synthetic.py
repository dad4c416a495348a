"""Synthetic cohorts of raw questionnaires, calibrated to Study A.

One call, :func:`synthetic_cohort`, returns a wide frame of raw answers (the
columns of the data dictionary's meta and item codes, in dictionary order,
option codes as values) for the demo, the benchmarks and the analysis tests.
Pure numpy/pandas, vectorised over respondents (loops run only over years,
spells or columns), deterministic for a seed. No Django import.

How a respondent is made
------------------------
1. Structure: school (sizes vary), class (``classes_per_school`` classes per
   school, grades 7, 8, 9 in turn, coded ``G<grade>-<n>`` as in the
   reference cohort), birth date from the grade (some children a year or two
   older or younger), times on ``survey_date`` and the next days (+08:00).
2. Family trajectory: a latent pattern with the published Study A shares
   (:data:`PATTERN_SHARES`): constant NM; mostly MG / LB1 / LB2 (at least 8
   of 12 years, with an NM lead-in, brief spells of other statuses, some
   returns home at the end); transition (runs of 1-6 years of a Markov chain
   without self-loops, at least 3 switches, no status in more than 7
   years). A sequence is therefore classified back to its pattern by "all NM
   -> NM; a status in >= 8 years -> that status; else transition".
   Statuses become child / father / mother answers (NM 1,1,1; MG child 2 and
   one or both parents 2; LB1 child 1 and one parent 2, mostly the father;
   LB2 1,2,2). Ages not asked (1..min(12, age + 1)) are empty.
3. Now: the current status is the last asked year's, sometimes changed
   since; ``parent_away`` / ``mother_away`` / ``father_away`` /
   ``contact_freq`` / ``caregiver`` follow it (follow-ups empty when
   ``parent_away`` = 0).
4. Covariates: ordinal cuts of latent normals (SES, family well-being,
   school connectedness factors) with the reference marginals, shifted by
   pattern so that adjusting for them shrinks the cluster gaps from Model 1
   to Model 4 as published.
5. Outcomes: resilience = Model 4 (published coefficients on the observed
   covariates, cluster effects, the LB2 x economic and transition x
   relation moderations) + residual; 27 RSCA answers from it with five
   subscale factors (alpha ~0.88 total) and reverse keys from the
   instrument; dep1..6 (alpha ~0.9) with Study B's mother-only effect and
   its belonging / peer-satisfaction moderations; pcf/pcm, tatt1..3 (one
   factor) and the school items.
6. Faults (``faults=True``), disjoint, at about the reference rates
   (:data:`FAULT_RATES`): a parent's answers 9 from some year on, one
   "do not remember" 8 in years 1-4, all 27 RSCA identical, duration below
   a third of the median, a missing covariate or an unscorable parent scale.
   With ``faults=False`` the same cohort comes out clean (faults use their
   own random stream) and no row trips a cleaning rule.

:func:`synthetic_cohort_with_truth` also returns the latent pattern and the
fault of every row, for tests.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from scoring.alphabet import MIGRATION_STATUSES, SEQUENCE_YEARS
from scoring.instrument import Instrument, default_instrument

YEARS = len(SEQUENCE_YEARS)
PERSONS = ("child", "father", "mother")

#: Study A trajectory patterns (latent), in status-code order, and shares.
PATTERNS = (*MIGRATION_STATUSES.shorts, "TR")
PATTERN_LABELS = MIGRATION_STATUSES.cluster_names
PATTERN_SHARES = (0.5014, 0.1092, 0.1032, 0.0942, 0.1921)

#: Share of rows given each (disjoint) fault when ``faults=True``.
FAULT_RATES = {
    "family_disruption": 0.030,
    "res_unknown": 0.045,
    "straightline": 0.013,
    "speeding": 0.015,
    "missing_covariates": 0.035,
}
FAULTS = ("",) + tuple(FAULT_RATES)

#: Published Model 4 (Study A) used as the structural model of resilience.
MODEL4 = {
    "MG": -0.011, "LB1": -0.070, "LB2": -0.031, "TR": -0.031,
    "family_econ": 0.023, "pcr": 0.106, "girl": -0.017, "urban": -0.018,
    "age": -0.009, "has_siblings": -0.019, "academic_rank": -0.070,
    "health_good": 0.126, "father_senior": 0.028, "mother_senior": 0.078,
    "parents_relation": 0.003, "not_boarding": -0.020,
    "classmate_friendly": 0.243, "neighbor_relation": 0.118,
}
MODERATION = {"LB2_x_econ": 0.079, "TR_x_pcr": 0.024}
#: Study B (depression sum 6-30).
DEPRESSION = {
    "mother_only": 2.690, "belong": -1.797, "mother_x_belong": -3.244,
    "peer_sat": -1.446, "mother_x_peer_sat": -1.975,
}

# Marginals of the raw covariates (from the reference cohort), by option order.
MARGINALS = {
    "gender": (0.478, 0.522),
    "hukou": (0.822, 0.178),
    "ethnicity": (0.963, 0.037),
    "siblings": (0.246, 0.536, 0.161, 0.057),
    "academic_rank": (0.095, 0.278, 0.369, 0.209, 0.049),
    "health": (0.036, 0.080, 0.150, 0.422, 0.312),
    "father_edu": (0.048, 0.295, 0.466, 0.158, 0.033),
    "mother_edu": (0.131, 0.395, 0.347, 0.098, 0.029),
    "parents_relation": (0.117, 0.207, 0.287, 0.252, 0.137),
    "boarding": (0.817, 0.183),
    "classmate_friendly": (0.160, 0.840),
    "neighbor_relation": (0.006, 0.016, 0.188, 0.527, 0.263),
    "family_econ": (0.010, 0.297, 0.591, 0.101, 0.001),
    "belong": (0.030, 0.017, 0.065, 0.175, 0.713),
    "tsat": (0.039, 0.027, 0.208, 0.331, 0.395),
    "best_friends": (0.010, 0.193, 0.288, 0.509),
    "closeness": (0.023, 0.029, 0.119, 0.357, 0.472),
    "peer_sat": (0.028, 0.039, 0.109, 0.279, 0.545),
    "tatt": (0.170, 0.390, 0.340, 0.100),
}

# ---------------------------------------------------------------- calibration
# Trajectories (tuned: ~2,650 distinct complete sequences at n = 8,453,
# ~18,400 at n = 100,000).
_DOM = dict(p_prefix=0.60, prefix_len=(0.35, 0.30, 0.20, 0.15), p_prefix_nm=0.75, lam=1.5,
            spell_len=(0.55, 0.33, 0.12), spell_nm=0.40, p_return=0.10)
_TRANS_START = (0.40, 0.12, 0.28, 0.20)
_TRANS_RUN = (0.08, 0.22, 0.30, 0.22, 0.12, 0.06)  # run lengths 1..6
_TRANS_P = np.array([  # next status (no self-loop); rows/cols NM MG LB1 LB2
    [0.00, 0.20, 0.50, 0.30],
    [0.40, 0.00, 0.30, 0.30],
    [0.35, 0.20, 0.00, 0.45],
    [0.35, 0.25, 0.40, 0.00],
])
# Covariate shifts by pattern (latent SD units; NM MG LB1 LB2 TR).
_SHIFT = {
    "family_econ": (0.0, 0.25, 0.15, 0.20, 0.10),
    "classmate_friendly": (0.0, -0.12, -0.04, -0.06, -0.04),
    "neighbor_relation": (0.0, -0.15, 0.0, 0.0, -0.03),
    "boarding": (0.0, -0.20, 0.10, 0.35, 0.10),
    "hukou": (0.0, 0.10, 0.0, -0.05, 0.0),
    "pcr": (0.0, -0.026, -0.045, -0.034, 0.013),
}
_PCR_AWAY = 0.25          # closeness drop per share of years the parent was away
_PCR_MEAN, _PCR_SLOPE, _PCR_NOISE = 3.74, 0.66, 0.62
_RSCA = dict(scale=1.12, center=3.33, offset=3.33, resid=0.45, school=0.04)
_RSCA_TAU = {"rsca_goal": 0.76, "rsca_affect": 0.54, "rsca_positive": 0.86,
             "rsca_family": 0.45, "rsca_help": 0.50}
_RSCA_NOISE = {"rsca_goal": 0.87, "rsca_affect": 0.96, "rsca_positive": 0.85,
               "rsca_family": 1.00, "rsca_help": 0.98}
_RSCA_CONST = 2.072       # Model 4 constant (adjusted below by _RSCA_SHIFT)
_RSCA_SHIFT = 0.115
_LB2_ECON_CENTER, _TR_PCR_CENTER = 2.90, 7.22
_DEP = dict(base=10.4, scale=1.38, resid=2.2, res_link=-1.8, noise=0.74)
_ITEM_SEED = 20210115     # item parameters are a property of the instrument, not of a cohort


def _cum(probs) -> np.ndarray:
    c = np.cumsum(np.asarray(probs, dtype=float))
    return c / c[-1]


def _choice(rng, probs, size) -> np.ndarray:
    """Indices drawn with ``probs`` (vectorised)."""
    return np.searchsorted(_cum(probs), rng.random(size), side="right").astype(np.int64)


def _choice_rows(rng, table, rows) -> np.ndarray:
    """Per row, an index drawn from ``table[rows[i]]``."""
    table = np.asarray(table, dtype=float)
    cum = np.cumsum(table / table.sum(1, keepdims=True), axis=1)
    u = rng.random(len(rows))[:, None]
    return np.minimum((u >= cum[rows]).sum(1), table.shape[1] - 1)


def _cuts(probs) -> np.ndarray:
    nd = NormalDist()
    return np.array([nd.inv_cdf(min(max(p, 1e-12), 1 - 1e-12)) for p in _cum(probs)[:-1]])


def _ordinal(latent, probs) -> np.ndarray:
    """0-based category of a (standard normal) latent cut at ``probs``."""
    return np.searchsorted(_cuts(probs), latent).astype(np.int64)


def _latent(rng, n, loadings, factors) -> np.ndarray:
    out = np.zeros(n)
    for weight, factor in zip(loadings, factors):
        out += weight * factor
    return out + np.sqrt(max(1.0 - sum(w * w for w in loadings), 0.0)) * rng.standard_normal(n)


def _mean_sd(probs) -> tuple[float, float]:
    p = np.asarray(probs, float) / sum(probs)
    k = np.arange(1, len(p) + 1)
    mean = (p * k).sum()
    return float(mean), float(np.sqrt((p * (k - mean) ** 2).sum()))


# -------------------------------------------------------------- trajectories
def _dominant(rng, dom: np.ndarray) -> np.ndarray:
    """Mostly-``dom`` sequences (>= 8 of 12 years), rejection-sampled in bulk."""
    m, t = len(dom), np.arange(YEARS)
    out = np.repeat(dom[:, None], YEARS, 1).astype(np.int8)
    others = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 3, 4], [0, 0, 2, 0, 4], [0, 0, 2, 3, 0]])
    todo = np.arange(m)
    for rnd in range(40):
        k = len(todo)
        if not k:
            break
        d = dom[todo]
        s = np.repeat(d[:, None], YEARS, 1).astype(np.int8)
        has = rng.random(k) < _DOM["p_prefix"]
        length = _choice(rng, _DOM["prefix_len"], k) + 1
        state = np.where(rng.random(k) < _DOM["p_prefix_nm"], 1, others[d, 2 + _choice(rng, (1, 1), k)])
        state = np.where(state == d, 1, state)
        s = np.where(has[:, None] & (t < length[:, None]), state[:, None], s)
        spells = np.minimum(rng.poisson(_DOM["lam"], k), 3 if rnd < 30 else 0)
        for j in range(3):
            start = rng.integers(0, YEARS, k)
            span = _choice(rng, _DOM["spell_len"], k) + 1
            state = np.where(rng.random(k) < _DOM["spell_nm"], 1, 2 + _choice(rng, (1, 1, 1), k))
            state = np.where(state == d, 1, state)
            mask = (spells > j)[:, None] & (t >= start[:, None]) & (t < (start + span)[:, None])
            s = np.where(mask, state[:, None], s)
        back = rng.random(k) < _DOM["p_return"]
        years_back = _choice(rng, (0.5, 0.3, 0.2), k) + 1
        s = np.where(back[:, None] & (t >= YEARS - years_back[:, None]), 1, s).astype(np.int8)
        ok = (s == d[:, None]).sum(1) >= 8
        out[todo[ok]] = s[ok]
        todo = todo[~ok]
    return out  # rows never accepted stay constant (none in practice)


def _transition(rng, m: int) -> np.ndarray:
    """Frequent switching: >= 3 switches and no status in more than 7 years."""
    t = np.arange(YEARS)
    out = np.zeros((m, YEARS), np.int8)
    fallback = np.array([1, 1, 1, 3, 3, 3, 4, 4, 4, 1, 1, 3], np.int8)
    out[:] = fallback
    cum = np.cumsum(_TRANS_P, 1)
    todo = np.arange(m)
    for _ in range(60):
        k = len(todo)
        if not k:
            break
        states = np.empty((k, YEARS), np.int8)
        states[:, 0] = 1 + _choice(rng, _TRANS_START, k)
        for r in range(1, YEARS):
            u = rng.random(k)[:, None]
            states[:, r] = 1 + np.minimum((u >= cum[states[:, r - 1] - 1]).sum(1), 3)
        ends = np.cumsum(_choice(rng, _TRANS_RUN, (k, YEARS)) + 1, 1)
        run = (ends[:, None, :] <= t[None, :, None]).sum(2)
        s = np.take_along_axis(states, run, 1)
        counts = np.stack([(s == v).sum(1) for v in range(1, 5)], 1)
        ok = (counts.max(1) <= 7) & ((np.diff(s, axis=1) != 0).sum(1) >= 3)
        out[todo[ok]] = s[ok]
        todo = todo[~ok]
    return out


def _trajectories(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    pattern = _choice(rng, PATTERN_SHARES, n)  # 0 NM, 1 MG, 2 LB1, 3 LB2, 4 TR
    seq = np.ones((n, YEARS), np.int8)
    dom = (pattern >= 1) & (pattern <= 3)
    seq[dom] = _dominant(rng, (pattern[dom] + 1).astype(np.int8))
    tr = pattern == 4
    seq[tr] = _transition(rng, int(tr.sum()))
    return pattern, seq


def _trailing_run(away: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Consecutive True values ending at column ``last`` (per row)."""
    t = np.arange(away.shape[1])
    breaks = np.where((t[None, :] <= last[:, None]) & ~away, t[None, :], -1).max(1)
    return last - breaks


# --------------------------------------------------------------------- main
def synthetic_cohort(n: int, **options) -> pd.DataFrame:
    """``n`` raw questionnaires in the canonical wide layout (see the module doc); ``options`` are those of
    :func:`synthetic_cohort_with_truth` (``seed``, ``wave``, ``n_schools``, ``classes_per_school``,
    ``faults``, ``survey_date``, ``instrument``)."""
    frame, _ = synthetic_cohort_with_truth(n, **options)
    return frame


def synthetic_cohort_with_truth(  # noqa: C901  (one generative story told in order; split, a dozen arrays would pass between the parts)
    n: int,
    *,
    seed: int = 0,
    wave: str = "2021-01",
    n_schools: int = 18,
    classes_per_school: int = 6,
    faults: bool = True,
    survey_date: str = "2021-01-15",
    instrument=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """As :func:`synthetic_cohort`, plus a frame of what generated each row:
    ``pid``, ``pattern`` (0..4 = NM, MG, LB1, LB2, TR), ``pattern_label``
    and ``fault`` ("" or a key of :data:`FAULT_RATES`)."""
    if instrument is None:
        instrument = default_instrument()
    n = int(n)
    if n < 0:
        raise ValueError("n must be >= 0")
    if n_schools < 1 or classes_per_school < 1:
        raise ValueError("n_schools and classes_per_school must be >= 1")
    inst = instrument
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(6)]
    r_struct, r_traj, r_now, r_cov, r_out, r_fault = streams
    cols: dict[str, np.ndarray] = {}  # item code -> int16 array, -1 = empty

    def codes_of(code):
        return np.asarray(inst[code].option_codes, dtype=np.int64)

    def put_choice(code, index):
        options = codes_of(code)
        cols[code] = options[np.asarray(index)].astype(np.int16)

    # ---------------------------------------------------------- structure
    w_school = r_struct.gamma(20.0, 1.0, n_schools)
    w_class = r_struct.gamma(12.0, 1.0, (n_schools, classes_per_school))
    cell_p = (w_school / w_school.sum())[:, None] * (w_class / w_class.sum(1, keepdims=True))
    cell = _choice(r_struct, cell_p.ravel(), n)
    school, klass = cell // classes_per_school, cell % classes_per_school
    grade = 7 + klass % 3
    day0 = np.datetime64(survey_date, "D")
    year0 = int(str(day0)[:4])
    school_year = year0 if int(str(day0)[5:7]) >= 9 else year0 - 1
    started = (day0.astype("datetime64[s]")
               + (_choice(r_struct, (0.60, 0.25, 0.10, 0.05), n) * 86400
                  + (15.5 * 3600 + r_struct.random(n) * 6.5 * 3600).astype(np.int64)).astype("timedelta64[s]"))
    duration = np.clip(np.rint(np.exp(np.log(1500.0) + 0.27 * r_struct.standard_normal(n))), 600, 4500).astype(np.int64)
    if n:
        duration = np.maximum(duration, int(np.median(duration)) // 3 + 1)
    idle = np.rint(r_struct.exponential(150.0, n)).astype(np.int64)
    older = _choice(r_struct, (0.02, 0.03, 0.77, 0.15, 0.03), n) - 2  # years older than the grade's cohort
    month0 = r_struct.integers(0, 12, n)
    birth_year = school_year - grade - 6 - older + (8 + month0) // 12
    birth_month = (8 + month0) % 12 + 1
    submitted = started + (duration + idle).astype("timedelta64[s]")
    sub_year = submitted.astype("datetime64[Y]").astype(np.int64) + 1970
    sub_month = submitted.astype("datetime64[M]").astype(np.int64) % 12 + 1
    age = sub_year - birth_year - (sub_month < birth_month)
    n_asked = np.clip(age + 1, 1, YEARS)
    lang_codes = [o.code for o in inst["lang"].options] if "lang" in inst and inst["lang"].options else ["zh-hans", "en"]
    lang = np.asarray(lang_codes, dtype=object)[np.where(r_struct.random(n) < 0.02, min(1, len(lang_codes) - 1), 0)]
    put_choice("gender", _choice(r_struct, MARGINALS["gender"], n))
    cols["birth_year"] = birth_year.astype(np.int16)
    cols["birth_month"] = birth_month.astype(np.int16)
    cols["grade"] = grade.astype(np.int16)
    put_choice("ethnicity", _choice(r_struct, MARGINALS["ethnicity"], n))
    girl = cols["gender"] == codes_of("gender")[1]

    # -------------------------------------------------------- trajectories
    pattern, seq = _trajectories(r_traj, n)
    t = np.arange(YEARS)
    asked = t[None, :] < n_asked[:, None]
    lb1_father = r_traj.random(n) < 0.8
    lb1_father_y = lb1_father[:, None] ^ (r_traj.random((n, YEARS)) < 0.04)
    mg_base = _choice(r_traj, (0.65, 0.25, 0.10), n)  # 0 both, 1 father, 2 mother with the child
    mg_y = np.where(r_traj.random((n, YEARS)) < 0.08, _choice(r_traj, (0.65, 0.25, 0.10), (n, YEARS)), mg_base[:, None])
    res_in, res_out = (int(c) for c in codes_of(Instrument.residence_code("child", 1))[:2])
    child = np.where(seq == 2, res_out, res_in)
    father = np.where((seq == 4) | ((seq == 3) & lb1_father_y) | ((seq == 2) & (mg_y != 2)), res_out, res_in)
    mother = np.where((seq == 4) | ((seq == 3) & ~lb1_father_y) | ((seq == 2) & (mg_y != 1)), res_out, res_in)
    residence = {"child": child, "father": father, "mother": mother}

    # ----------------------------------------------------------------- now
    rows = np.arange(n)
    last = n_asked - 1
    last_status = seq[rows, last]
    since = np.maximum(age - 11, 0) + 0.5
    changed = r_now.random(n) < np.minimum(0.04 + 0.05 * since, 0.3)
    move = np.array([[0, 0.2, 0.6, 0.2], [0.6, 0, 0.15, 0.25], [0.4, 0.2, 0, 0.4], [0.3, 0.2, 0.5, 0]])
    status_now = np.where(changed, 1 + _choice_rows(r_now, move, last_status - 1), last_status)
    new_f = (status_now == 4) | ((status_now == 3) & lb1_father) | ((status_now == 2) & (mg_base != 2))
    new_m = (status_now == 4) | ((status_now == 3) & ~lb1_father) | ((status_now == 2) & (mg_base != 1))
    father_now = np.where(changed, new_f, father[rows, last] == res_out)
    mother_now = np.where(changed, new_m, mother[rows, last] == res_out)

    def away_code(now, answers):
        was_away = answers[rows, last] == res_out
        years = _trailing_run(answers == res_out, last) + since
        u = r_now.random(n)
        settled = np.where(years > 3, np.where(u < 0.6, 4, np.where(u < 0.9, 3, 2)),
                           np.where((years > 1) & (u < 0.7), 3, 2))
        fresh = 1 + (r_now.random(n) < 0.5)
        return np.where(now, np.where(changed & ~was_away, fresh, settled), 0)

    m_code = away_code(mother_now, mother)
    f_code = away_code(father_now, father)
    contact = np.where(status_now == 2, _choice(r_now, (0.75, 0.25), n),
                       _choice(r_now, (0.17, 0.47, 0.20, 0.11, 0.05), n))

    def follow_ups():
        """parent_away and its follow-ups (empty when no parent is away now)."""
        away = father_now | mother_now
        put_choice("parent_away", away.astype(np.int64))
        for code, values in (("mother_away", np.where(mother_now, m_code, 0)),
                             ("father_away", np.where(father_now, f_code, 0)), ("contact_freq", contact)):
            cols[code] = np.where(away, codes_of(code)[values], -1).astype(np.int16)

    # caregiver: situations NM, MG both, MG father, MG mother, LB1 father away, LB1 mother away, LB2
    situation = np.select(
        [status_now == 1, (status_now == 2) & father_now & mother_now, (status_now == 2) & father_now,
         status_now == 2, (status_now == 3) & father_now, status_now == 3],
        [0, 1, 2, 3, 4, 5], 6)
    care = np.array([
        [0.92, 0, 0, 0.06, 0.02, 0, 0, 0],
        [0.90, 0, 0, 0.05, 0.05, 0, 0, 0],
        [0.20, 0, 0.70, 0.10, 0, 0, 0, 0],
        [0.15, 0.75, 0, 0.10, 0, 0, 0, 0],
        [0, 0.72, 0, 0.22, 0.06, 0, 0, 0],
        [0, 0, 0.50, 0.42, 0.08, 0, 0, 0],
        [0, 0, 0, 0.72, 0.12, 0.08, 0.05, 0.03],
    ])
    care_codes = codes_of("caregiver")
    put_choice("caregiver", np.minimum(_choice_rows(r_now, care[:, : len(care_codes)], situation), len(care_codes) - 1))
    mother_only = (m_code >= 2) & (f_code < 2)

    # ---------------------------------------------------------- covariates
    ses, well, sch, par = (r_cov.standard_normal(n) for _ in range(4))

    def shifted(name, loadings, factors):
        return _latent(r_cov, n, loadings, factors) + np.asarray(_SHIFT.get(name, (0,) * 5))[pattern]

    def ordinal(name, loadings, factors, marg=None):
        index = _ordinal(shifted(name, loadings, factors), MARGINALS[marg or name])
        put_choice(name, index)
        return index

    hukou = ordinal("hukou", (0.45,), (ses,))
    sibs = _ordinal(_latent(r_cov, n, (-0.30,), (ses,)), MARGINALS["siblings"])
    put_choice("siblings", sibs)
    rank = ordinal("academic_rank", (0.30, 0.20), (ses, well))
    health = ordinal("health", (0.35,), (well,))
    f_edu = ordinal("father_edu", (0.60,), (ses,))
    f_mean, f_sd = _mean_sd(MARGINALS["father_edu"])
    m_edu = _ordinal(_latent(r_cov, n, (0.40, 0.35), (ses, (f_edu + 1 - f_mean) / f_sd)), MARGINALS["mother_edu"])
    put_choice("mother_edu", m_edu)
    relation = ordinal("parents_relation", (0.40, 0.20), (well, par))
    boarding = ordinal("boarding", (), ())
    friendly = ordinal("classmate_friendly", (0.35, 0.35), (well, sch))
    neighbor = ordinal("neighbor_relation", (0.40,), (well,))
    econ = ordinal("family_econ", (0.55,), (ses,))
    econ_v = econ + 1.0

    # parent-child relation items (pcf*, pcm*): closeness lower for years a parent was away
    item_rng = np.random.default_rng(_ITEM_SEED)
    away_f = ((father == res_out) & asked).sum(1) / n_asked
    away_m = ((mother == res_out) & asked).sum(1) / n_asked
    pcr_shift = np.asarray(_SHIFT["pcr"])[pattern]
    pcr_scores = []
    for scale, away in (("pcr_father", away_f), ("pcr_mother", away_m)):
        close = (0.30 * well + 0.70 * par + np.sqrt(1 - 0.30**2 - 0.70**2) * r_cov.standard_normal(n)
                 - _PCR_AWAY * away + pcr_shift)
        items = [v.code for v in inst.scale_items(scale)]
        delta = item_rng.uniform(-0.15, 0.15, len(items))
        total = np.zeros(n)
        for code, dj in zip(items, delta):
            y = _PCR_MEAN + dj + _PCR_SLOPE * close + _PCR_NOISE * r_cov.standard_normal(n)
            value = np.clip(np.rint(y), 1, 5)
            total += value
            cols[code] = value.astype(np.int16)
        pcr_scores.append(total / max(len(items), 1))
    pcr = pcr_scores[0] + pcr_scores[1]

    # school items
    for name in ("belong", "tsat", "closeness", "peer_sat", "best_friends"):
        load = {"belong": 0.55, "tsat": 0.45, "closeness": 0.60, "peer_sat": 0.60, "best_friends": 0.40}[name]
        ordinal(name, (load, 0.15), (sch, well))
    teacher = 0.5 * sch + np.sqrt(0.75) * r_cov.standard_normal(n)
    for v in inst.scale_items("tatt"):
        put_choice(v.code, _ordinal(0.8 * teacher + 0.6 * r_cov.standard_normal(n), MARGINALS["tatt"]))

    # --------------------------------------------------------- resilience
    b = MODEL4
    edu_codes = codes_of("father_edu")
    senior = edu_codes[3]  # "senior high or vocational" and above
    health_good = codes_of("health")[health] >= codes_of("health")[3]
    structural = (
        _RSCA_CONST + _RSCA_SHIFT
        + np.array([0.0, b["MG"], b["LB1"], b["LB2"], b["TR"]])[pattern]
        + (b["family_econ"] - PATTERN_SHARES[3] * MODERATION["LB2_x_econ"]) * econ_v
        + (b["pcr"] - PATTERN_SHARES[4] * MODERATION["TR_x_pcr"]) * pcr + b["girl"] * girl
        + b["urban"] * (hukou == 1) + b["age"] * age + b["has_siblings"] * (sibs >= 1)
        + b["academic_rank"] * (rank + 1) + b["health_good"] * health_good
        + b["father_senior"] * (edu_codes[f_edu] >= senior) + b["mother_senior"] * (edu_codes[m_edu] >= senior)
        + b["parents_relation"] * (relation + 1) + b["not_boarding"] * (boarding == 0)
        + b["classmate_friendly"] * (friendly == 1) + b["neighbor_relation"] * (neighbor + 1)
        + MODERATION["LB2_x_econ"] * (pattern == 3) * (econ_v - _LB2_ECON_CENTER)
        + MODERATION["TR_x_pcr"] * (pattern == 4) * (pcr - _TR_PCR_CENTER)
    )
    school_effect = r_out.normal(0.0, _RSCA["school"], n_schools)[school]
    resid = r_out.standard_normal(n)
    resilience = structural + school_effect + _RSCA["resid"] * resid
    eta = _RSCA["offset"] + _RSCA["scale"] * (resilience - _RSCA["center"])
    likert = codes_of("rsca01") if "rsca01" in inst else np.arange(1, 6)
    low, high = int(likert.min()), int(likert.max())
    rsca_codes = []
    for scale in inst.scales_with_prefix("rsca"):
        members = inst.scale_items(scale)
        u = _RSCA_TAU.get(scale, 0.5) * r_out.standard_normal(n)
        noise = _RSCA_NOISE.get(scale, 0.85)
        delta = item_rng.uniform(-0.3, 0.3, len(members))
        for v, dj in zip(members, delta):
            y = eta + u + dj + noise * r_out.standard_normal(n)
            scored = np.clip(np.rint(y), low, high)
            cols[v.code] = (low + high - scored if v.reverse else scored).astype(np.int16)
            rsca_codes.append(v.code)
    # a clean respondent never answers all 27 identically (that is the straight-lining flag)
    if rsca_codes:
        block = np.stack([cols[c] for c in rsca_codes], 1)
        same = (block == block[:, :1]).all(1)
        if same.any():
            first = cols[rsca_codes[0]]
            first[same] = np.where(first[same] > low, first[same] - 1, first[same] + 1)

    # --------------------------------------------------------- depression
    belong_mean, belong_sd = _mean_sd(MARGINALS["belong"])
    peer_mean, peer_sd = _mean_sd(MARGINALS["peer_sat"])
    z_belong = (cols["belong"] - belong_mean) / belong_sd
    z_peer = (cols["peer_sat"] - peer_mean) / peer_sd
    d = DEPRESSION
    dep_sum = (_DEP["base"] + d["mother_only"] * mother_only + d["belong"] * z_belong
               + d["mother_x_belong"] * mother_only * z_belong + d["peer_sat"] * z_peer
               + d["mother_x_peer_sat"] * mother_only * z_peer + _DEP["res_link"] * resid
               + _DEP["resid"] * r_out.standard_normal(n))
    dep_items = inst.scale_items("dep")
    dep_level = 1.0 + _DEP["scale"] * (dep_sum / max(len(dep_items), 1) - 1.0)
    for v, dj in zip(dep_items, item_rng.uniform(-0.2, 0.2, len(dep_items))):
        y = dep_level + dj + _DEP["noise"] * r_out.standard_normal(n)
        cols[v.code] = np.clip(np.rint(y), 1, 5).astype(np.int16)

    # -------------------------------------------------------------- faults
    fault = np.zeros(n, np.int64)
    if faults:
        fault = _choice(r_fault, (1.0 - sum(FAULT_RATES.values()),) + tuple(FAULT_RATES.values()), n)
        codes_f = codes_of(Instrument.residence_code("father", 1))
        disrupt_code = int(np.setdiff1d(codes_f, codes_of(Instrument.residence_code("child", 1)))[0])
        unknown_code = int(codes_of(Instrument.residence_code("child", 1))[2])
        # family disruption: one parent's answers become 9 from some year on
        rows_d = np.flatnonzero(fault == 1)
        start = (r_fault.random(len(rows_d)) * n_asked[rows_d]).astype(np.int64)
        use_father = r_fault.random(len(rows_d)) < 0.45
        span = (t[None, :] >= start[:, None]) & asked[rows_d]
        for who, pick, now in (("father", use_father, father_now), ("mother", ~use_father, mother_now)):
            block = residence[who][rows_d]
            block[span & pick[:, None]] = disrupt_code
            residence[who][rows_d] = block
            now[rows_d[pick]] = False  # a parent who died / left is not "working away" now
        # do not remember: one answer in years 1-4
        rows_u = np.flatnonzero(fault == 2)
        person_u = r_fault.integers(0, 3, len(rows_u))
        year = np.minimum(r_fault.integers(0, 4, len(rows_u)), n_asked[rows_u] - 1)
        for k, person in enumerate(PERSONS):
            sel = person_u == k
            residence[person][rows_u[sel], year[sel]] = unknown_code
        # straight-lining: all 27 RSCA answers identical
        rows_s = np.flatnonzero(fault == 3)
        value = likert[np.minimum(_choice(r_fault, (0.05, 0.0, 0.33, 0.17, 0.45), len(rows_s)), len(likert) - 1)]
        for code in rsca_codes:
            cols[code][rows_s] = value
        # speeding: far below a third of the median duration
        rows_p = np.flatnonzero(fault == 4)
        duration[rows_p] = r_fault.integers(60, 450, len(rows_p))
        # missing covariates (or a parent scale that cannot be scored)
        rows_m = np.flatnonzero(fault == 5)
        scale_gap = r_fault.random(len(rows_m)) < 0.15
        names = ("hukou", "academic_rank", "health", "father_edu", "mother_edu", "neighbor_relation")
        which = r_fault.integers(0, len(names), len(rows_m))
        for k, name in enumerate(names):
            cols[name][rows_m[~scale_gap & (which == k)]] = -1
        rows_g = rows_m[scale_gap]
        parent_scale = np.where(r_fault.random(len(rows_g)) < 0.5, "pcr_father", "pcr_mother")
        for scale in ("pcr_father", "pcr_mother"):
            members = [v.code for v in inst.scale_items(scale)]
            sel = rows_g[parent_scale == scale]
            drop = np.argsort(r_fault.random((len(sel), len(members))), 1)[:, :2]
            for j, code in enumerate(members):
                cols[code][sel[(drop == j).any(1)]] = -1
        submitted = started + (duration + idle).astype("timedelta64[s]")

    follow_ups()
    for person in PERSONS:
        block = np.where(asked, residence[person], -1).astype(np.int16)
        for y in range(YEARS):
            code = Instrument.residence_code(person, y + 1)
            if code in inst:
                cols[code] = block[:, y]

    # -------------------------------------------------------------- frame
    width = max(7, len(str(max(n - 1, 0))))
    numbers = np.char.zfill(np.arange(n).astype(str), width) if n else np.array([], dtype=str)
    pid = np.char.add(f"P{int(seed) % 1000:03d}", numbers).astype(object)
    school_labels = np.array([f"S{i + 1:02d}" for i in range(n_schools)], dtype=object)
    class_labels = np.array([f"G{7 + c % 3}-{c // 3 + 1}" for c in range(classes_per_school)], dtype=object)
    meta = {
        "pid": pid,
        "school_code": school_labels[school],
        "class_code": class_labels[klass],
        "wave": np.full(n, str(wave), dtype=object),
        "instrument_version": np.full(n, str(getattr(inst, "version", "1")), dtype=object),
        "lang": lang,
        "started_at": _iso(started),
        "submitted_at": _iso(submitted),
        "duration_s": pd.array(duration, dtype="Int64"),
    }
    data = {}
    fill_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    for code in inst.meta_codes:
        data[code] = meta[code] if code in meta else np.full(n, None, dtype=object)
    for code in inst.item_codes:
        values = cols.pop(code, None)
        if values is None:  # an item this generator does not know: a valid random answer
            values = _any_answer(fill_rng, inst[code], n)
        values = np.asarray(values)
        data[code] = pd.arrays.IntegerArray(values.astype(np.int64), values < 0)
    frame = pd.DataFrame(data, copy=False)
    truth = pd.DataFrame({
        "pid": pid,
        "pattern": pattern,
        "pattern_label": np.asarray(PATTERN_LABELS, dtype=object)[pattern],
        "fault": np.asarray(FAULTS, dtype=object)[fault],
    })
    return frame, truth


def _iso(stamps: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "+08:00").astype(object)


def _any_answer(rng, variable, n) -> np.ndarray:
    if variable.options:
        codes = np.asarray([o.code for o in variable.options])
        if codes.dtype.kind in "iu":
            return codes[rng.integers(0, len(codes), n)]
    if variable.value_range:
        low, high = variable.value_range
        return rng.integers(int(low), int(high) + 1, n)
    return np.full(n, -1)
