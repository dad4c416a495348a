"""The whole analysis of a wave, from scored responses to the report's tables.

Study A: cleaning flow -> status sequences of the analytic sample ->
alpha -> trajectory clusters -> Table 1 -> Models 1-4 and moderation -> PSM
per cluster -> the sensitivity run on ages 4-12, which repeats every part
that depends on the clusters (clustering, Table 1, every model, PSM; alpha
does not depend on them). Study B: its own cleaning -> complete cases ->
teacher's-attitude factor score -> the depression models. Each stage is
timed and reported to ``progress``.

Runs degrade, they do not crash: every part (cleaning, clustering, Table 1,
each model, PSM, the factor score, ...) either succeeds or is recorded in
``AnalysisResult.parts`` as failed or skipped with the reason, and the run
keeps what the other parts produced. When clustering is impossible the parts
that need clusters are skipped and Study B still runs.

Plain Python: no Django import.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.core.descriptives import STUDY_A_TABLE1, table1
from analysis.core.models import (
    CLUSTER_COLUMN,
    SCHOOL_COLUMN,
    STUDY_A_OUTCOME,
    STUDY_B_OUTCOME,
    cluster_levels,
    fit_ols,
    side_by_side,
    study_a_covariate_sets,
    study_a_specifications,
    study_b_columns,
    study_b_model_names,
    study_b_specifications,
    to_jsonable,
)
from analysis.core.psm import MatchingOptions, psm_by_cluster
from analysis.core.reliability import alpha_table, tatt_factor_score
from analysis.core.trajectories import TrajectoryParams, TrajectoryResult, cluster_trajectories
from scoring.alphabet import mig_columns
from scoring.cleaning import CLEANING_RULES, clean
from scoring.instrument import TEACHER_ATTITUDE, Instrument

Progress = Callable[[float, str], None]
STUDIES = ("A", "B", "both")
SEQUENCE_COLUMNS = mig_columns()
SENSITIVITY_YEARS = (4, 12)
SENSITIVITY = "a_sensitivity_"
A_MODELS = ("model1", "model2", "model3", "model4", "moderation_economic", "moderation_pcr")
OK, FAILED, SKIPPED = "ok", "failed", "skipped"
# Study B keeps the response-quality rules only: the others concern residence histories and the resilience models.
STUDY_B_RULES = {name: name in ("straightline", "speeding") for name, _ in CLEANING_RULES}

# Share of the run's time per stage, for the progress bar (clustering dominates).
STAGE_WEIGHTS = {
    "a_cleaning": 0.01,
    "a_sequences": 0.01,
    "a_alpha": 0.01,
    "a_clustering": 0.40,
    "a_table1": 0.02,
    "a_models": 0.03,
    "a_psm": 0.07,
    "a_sensitivity": 0.40,
    "b_cleaning": 0.01,
    "b_factor_score": 0.01,
    "b_alpha": 0.01,
    "b_models": 0.02,
}


@dataclass
class AnalysisResult:
    study: str
    flows: dict[str, pd.DataFrame]  # study -> cleaning flow (raw row, then one row per rule)
    trajectory: TrajectoryResult | None
    sensitivity_trajectory: TrajectoryResult | None
    assignments: pd.DataFrame  # pid, traj_cluster, traj_label of the clustered analytic rows
    tables: dict[str, object]  # name -> DataFrame, ModelTable, Table1, PsmResult, FactorScore
    timings: dict[str, float]  # stage -> seconds
    notes: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    parts: dict[str, dict] = field(default_factory=dict)  # part -> {"status": ok|failed|skipped, "message": why}

    @property
    def flow(self) -> pd.DataFrame:
        """The cleaning flow of the main study of the run (A unless only B ran)."""
        return self.flows["A" if "A" in self.flows else "B"]

    @property
    def incomplete_parts(self) -> dict[str, dict]:
        return {name: part for name, part in self.parts.items() if part["status"] != OK}

    def to_dict(self) -> dict:
        """Everything a report page shows, as JSON types (per-respondent assignments excluded)."""
        cluster_sizes = (
            self.assignments.groupby(["traj_cluster", "traj_label"]).size().rename("n").reset_index()
            if len(self.assignments)
            else pd.DataFrame(columns=["traj_cluster", "traj_label", "n"])
        )
        return {
            "study": self.study,
            "parameters": to_jsonable(self.parameters),
            "flows": {study: to_jsonable(flow) for study, flow in self.flows.items()},
            "trajectory": _trajectory_summary(self.trajectory),
            "sensitivity_trajectory": _trajectory_summary(self.sensitivity_trajectory),
            "cluster_sizes": to_jsonable(cluster_sizes),
            "tables": {name: to_jsonable(table) for name, table in self.tables.items()},
            "timings": {stage: round(seconds, 4) for stage, seconds in self.timings.items()},
            "notes": list(self.notes),
            "parts": {name: dict(part) for name, part in self.parts.items()},
        }


def _trajectory_summary(result: TrajectoryResult | None) -> dict | None:
    """The trajectory result without its per-row labels (those are in ``assignments``)."""
    if result is None:
        return None
    summary = result.to_dict()
    summary.pop("labels", None)
    return summary


@dataclass(frozen=True)
class RunOptions:
    """Options of the models and the matching: extra standard errors (``ROBUST_SE``) and PSM options."""

    robust: tuple[str, ...] = ()
    matching: MatchingOptions = field(default_factory=MatchingOptions)


class _Stages:
    """Runs stages in order, timing each and mapping its progress onto the run's fraction;
    runs the parts of the analysis, recording each one's status in the result."""

    def __init__(self, names: list[str], progress: Progress | None, result: AnalysisResult, fatal: tuple = ()):
        total = sum(STAGE_WEIGHTS[name] for name in names)
        self.start, position = {}, 0.0
        for name in names:
            self.start[name] = position / total
            position += STAGE_WEIGHTS[name]
        self.share = {name: STAGE_WEIGHTS[name] / total for name in names}
        self.progress = progress
        self.result = result
        self.fatal = tuple(fatal)
        self.stopped = False
        self.timings: dict[str, float] = result.timings

    def report(self, fraction: float, message: str) -> None:
        if self.progress:
            try:
                self.progress(min(max(fraction, 0.0), 1.0), message)
            except BaseException:
                self.stopped = True  # the caller stopped the run: no part may swallow that
                raise

    def within(self, name: str) -> Progress:
        """A progress callback for work inside stage ``name``."""
        return lambda fraction, message: self.report(self.start[name] + self.share[name] * fraction, message)

    @contextmanager
    def stage(self, name: str, message: str):
        self.report(self.start[name], message)
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - began

    def timed(self, name: str, message: str, enabled: bool = True):
        return self.stage(name, message) if enabled else nullcontext()

    def part(self, part: str, function, /, *args, **kwargs):
        """``function(*args, **kwargs)``, or None with the reason recorded when it fails.

        Warnings the part raises (convergence, numerical) go to the run's notes, not to stderr.
        """
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = function(*args, **kwargs)
            self.result.notes += list(
                dict.fromkeys(f"{part}: {type(w.message).__name__}: {w.message}" for w in caught)
            )
        except self.fatal:
            raise
        except Exception as error:  # noqa: BLE001 - a failing part is recorded, the run goes on
            if self.stopped:
                raise
            self.record(part, FAILED, _reason(error))
            return None
        self.record(part, OK)
        return value

    def record(self, name: str, status: str, message: str = "") -> None:
        self.result.parts[name] = {"status": status, "message": message}

    def skip(self, names, message: str) -> None:
        for name in names:
            self.record(name, SKIPPED, message)


def _reason(error: Exception) -> str:
    message = str(error).strip().strip("'\"") or type(error).__name__
    return message if isinstance(error, ValueError) else f"{type(error).__name__}: {message}"


def run_analysis(
    raw_and_scored: pd.DataFrame,
    *,
    instrument: Instrument,
    params: TrajectoryParams | None = None,
    cleaning_rules: Mapping[str, bool] | None = None,
    study: str = "A",
    progress: Progress | None = None,
    robust: Sequence[str] = (),
    matching: MatchingOptions | None = None,
    fatal: tuple[type[BaseException], ...] = (),
) -> AnalysisResult:
    """Run Study A, Study B or both on a frame of raw items joined with their derived columns.

    ``instrument`` is the wave's own version (scales, reverse keys, types).

    ``cleaning_rules`` switches rules of ``scoring.cleaning`` off; by default
    Study A applies every rule and Study B only straight-lining and speeding.
    ``robust`` adds HC1 and/or school-clustered SEs to every model;
    ``matching`` sets the PSM options. A failing part is recorded in
    ``parts`` and the run goes on, except for the exception types in
    ``fatal`` (e.g. the caller's "stop" signal), which propagate.
    """
    if study not in STUDIES:
        raise ValueError(f"study must be one of {STUDIES}")
    params = params or TrajectoryParams()
    options = RunOptions(robust=tuple(robust), matching=matching or MatchingOptions())
    run_a, run_b = study in ("A", "both"), study in ("B", "both")
    names = [name for name in STAGE_WEIGHTS if (run_a and name.startswith("a_")) or (run_b and name.startswith("b_"))]
    result = AnalysisResult(
        study=study,
        flows={},
        trajectory=None,
        sensitivity_trajectory=None,
        assignments=pd.DataFrame(columns=["pid", "traj_cluster", "traj_label"]),
        tables={},
        timings={},
        parameters={
            "trajectory": _params_dict(params),
            "cleaning_rules": dict(cleaning_rules or {}),
            "study": study,
            "robust_se": list(options.robust),
            "matching": dataclasses.asdict(options.matching),
        },
    )
    stages = _Stages(names, progress, result, fatal)
    raw_and_scored = analysis_frame(raw_and_scored, instrument)
    # The models' matrices are small (n x 20): one BLAS thread is fastest, and
    # threads spinning on a busy 2-core machine made each QR 60 times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        if run_a:
            _study_a(raw_and_scored, instrument, params, cleaning_rules, options, stages, result)
        if run_b:
            rules = cleaning_rules if cleaning_rules is not None else STUDY_B_RULES
            _study_b(raw_and_scored, instrument, rules, options, stages, result)
    stages.report(1.0, "Analysis done")
    return result


def analysis_frame(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Only what the analyses read, compact: ``pid`` and numbers (codes as float32, scores as float64,
    the school as a number 0..S-1).

    A wave of a million children arrives with ~160 columns, many of them
    nullable integers or text; every stage then slices rows of it, so a
    compact frame keeps the whole rebuild within a few gigabytes.
    """
    columns = {"pid": frame["pid"].to_numpy()}
    if SCHOOL_COLUMN in frame.columns:  # kept as a number per school, for standard errors clustered by school
        codes = pd.factorize(frame[SCHOOL_COLUMN], sort=True)[0]
        columns[SCHOOL_COLUMN] = np.where(codes >= 0, codes, np.nan)
    for code in frame.columns:
        kind = instrument[code].type if code in instrument else None
        if code == "pid" or kind in ("string", "datetime"):
            continue
        values = pd.to_numeric(frame[code], errors="coerce")
        if kind in ("choice", "likert5", "int", "bool"):
            columns[code] = values.to_numpy(dtype=np.float32, na_value=np.nan)
        elif kind == "float" or pd.api.types.is_numeric_dtype(values):
            columns[code] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(columns, index=frame.index)


def _params_dict(params: TrajectoryParams) -> dict:
    values = dataclasses.asdict(params)
    if isinstance(values["costs"], np.ndarray):
        values["costs"] = values["costs"].tolist()
    return values


# --------------------------------------------------------------------------
# Study A


def clustered_part_names(prefix: str = "a_") -> list[str]:
    """The parts of Study A that need the trajectory clusters."""
    return [f"{prefix}table1", *(f"{prefix}{name}" for name in A_MODELS), f"{prefix}psm"]


def study_a_part_names() -> list[str]:
    return [
        "a_cleaning", "a_alpha", "a_clustering", *clustered_part_names(),
        f"{SENSITIVITY}clustering", *clustered_part_names(SENSITIVITY),
    ]


def empty_sample_reason(cleaning) -> str:
    """Which cleaning rule left no row (or that the wave has none)."""
    if cleaning.raw == 0:
        return "the wave has no rows"
    before = cleaning.raw
    for step in cleaning.flow:
        if step["remaining"] == 0 and before > 0:
            rule = str(step["rule"]).replace("_", " ")
            if before == cleaning.raw:
                return f"the cleaning rule '{rule}' dropped all {before} rows"
            return f"the cleaning rule '{rule}' dropped all {before} rows left of {cleaning.raw}"
        before = step["remaining"]
    return f"the cleaning kept {cleaning.analytic} of {cleaning.raw} rows"


def _cleaned(study: str, frame, cleaning_rules, stages: _Stages, result: AnalysisResult, later: list[str]):
    """The cleaning of Study ``study`` with its flow recorded, or None (the ``later`` parts skipped) when it failed."""
    part = f"{study.lower()}_cleaning"
    with stages.stage(part, f"Cleaning (Study {study})"):
        cleaning = stages.part(part, clean, frame, cleaning_rules)
    if cleaning is None:
        stages.skip(later, "the cleaning failed")
        return None
    result.flows[study] = cleaning.flow_frame()
    return cleaning


def _stopped_when_empty(stages: _Stages, cleaning, rows: int, part: str, later: list[str], what: str, lacking: str) -> bool:
    """With no rows left, record why on ``part``, skip the ``later`` parts and say so (True)."""
    if rows:
        return False
    reason = empty_sample_reason(cleaning) if cleaning.analytic == 0 else (
        f"none of the {cleaning.analytic} cleaned rows {lacking}"
    )
    stages.record(part, FAILED, f"{what}: {reason}")
    stages.skip(later, f"{what}: {reason}")
    return True


def _study_a(frame, instrument: Instrument, params, cleaning_rules, options: RunOptions, stages: _Stages, result: AnalysisResult) -> None:
    cleaning = _cleaned("A", frame, cleaning_rules, stages, result, study_a_part_names()[1:])
    if cleaning is None:
        return
    with stages.stage("a_sequences", "Status sequences"):
        analytic, sequences = analytic_sequences(frame, cleaning.mask)
    if len(analytic) < cleaning.analytic:
        result.notes.append(
            f"{cleaning.analytic - len(analytic)} analytic rows without a complete status sequence were not clustered"
        )
    if _stopped_when_empty(stages, cleaning, len(analytic), "a_cleaning", study_a_part_names()[1:],
                           "no analytic rows", "has all twelve statuses defined"):
        return
    with stages.stage("a_alpha", "Reliability"):
        alpha = stages.part("a_alpha", alpha_table, analytic, instrument)
    if alpha is not None:
        result.tables["a_alpha"] = alpha
    with stages.stage("a_clustering", "Clustering trajectories"):
        trajectory = stages.part("a_clustering", cluster_trajectories, sequences, params, stages.within("a_clustering"))
    if trajectory is None:
        stages.skip(clustered_part_names(), f"needs the trajectory clusters ({result.parts['a_clustering']['message']})")
    else:
        result.trajectory = trajectory
        clustered = with_clusters(analytic, trajectory)
        result.assignments = clustered[["pid", "traj_cluster", "traj_label"]].reset_index(drop=True)
        _clustered_parts(clustered, "a_", instrument, options, stages, result)
    with stages.stage("a_sensitivity", "Sensitivity run (ages 4-12)"):
        _sensitivity(analytic, sequences, params, instrument, options, stages, result)


def _clustered_parts(analytic, prefix: str, instrument: Instrument, options: RunOptions, stages: _Stages, result: AnalysisResult) -> None:
    """Table 1, Models 1-4, the moderation models and PSM on rows with ``traj_label``; tables named ``prefix + part``."""
    main = prefix == "a_"
    suffix = "" if main else " (ages 4-12)"
    tables = result.tables
    order = [name for name, _ in cluster_levels(analytic[CLUSTER_COLUMN])]
    with stages.timed("a_table1", "Table 1", main):
        table = stages.part(f"{prefix}table1", table1, analytic, CLUSTER_COLUMN, STUDY_A_TABLE1, instrument=instrument, group_order=order)
    if table is not None:
        tables[f"{prefix}table1"] = table
    models = {}
    with stages.timed("a_models", "Models 1-4 and moderation", main):
        for name, predictors in study_a_specifications(analytic[CLUSTER_COLUMN], instrument).items():
            fitted = stages.part(
                f"{prefix}{name}", fit_ols, analytic, STUDY_A_OUTCOME, predictors, name=name, robust=options.robust
            )
            if fitted is not None:
                models[name] = tables[f"{prefix}{name}"] = fitted
    for table_name, names in (("models", A_MODELS[:4]), ("moderation", ("model4", *A_MODELS[4:]))):
        fitted = {f"{name}{suffix}": models[name] for name in names if name in models}
        if fitted:
            tables[f"{prefix}{table_name}"] = side_by_side(fitted)
    with stages.timed("a_psm", "Propensity score matching", main):
        psm = stages.part(
            f"{prefix}psm", psm_by_cluster, analytic, study_a_covariate_sets(instrument), options=options.matching
        )
    if psm is not None:
        tables[f"{prefix}psm"] = psm
        result.notes += [f"{note}{suffix}" for note in psm.notes]
        if psm.failures and not psm.comparisons:
            stages.record(f"{prefix}psm", FAILED, f"every comparison failed: {psm.failures[0]['error']}")


def _sensitivity(analytic, sequences, params, instrument: Instrument, options: RunOptions, stages: _Stages, result: AnalysisResult) -> None:
    """Every part that depends on the clusters, again on the clusters of ages 4-12."""
    sensitivity_params = dataclasses.replace(params, years=SENSITIVITY_YEARS)
    trajectory = stages.part(
        f"{SENSITIVITY}clustering", cluster_trajectories, sequences, sensitivity_params, stages.within("a_sensitivity")
    )
    if trajectory is None:
        message = result.parts[f"{SENSITIVITY}clustering"]["message"]
        stages.skip(clustered_part_names(SENSITIVITY), f"needs the clusters of ages 4-12 ({message})")
        return
    result.sensitivity_trajectory = trajectory
    relabelled = with_clusters(analytic, trajectory)
    _clustered_parts(relabelled, SENSITIVITY, instrument, options, stages, result)
    if result.trajectory is not None:
        main = with_clusters(analytic, result.trajectory)
        result.tables[f"{SENSITIVITY}crosstab"] = pd.crosstab(
            main[CLUSTER_COLUMN].rename("ages 1-12"), relabelled[CLUSTER_COLUMN].rename("ages 4-12")
        )


def analytic_sequences(frame: pd.DataFrame, mask: pd.Series | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows kept by ``mask`` with all twelve statuses defined, and their sequences (n x 12, codes 1..4).

    One slice of the (large) frame, not two: rows are selected by the combined mask.
    """
    statuses = frame[SEQUENCE_COLUMNS].apply(pd.to_numeric, errors="coerce")
    keep = statuses.notna().all(axis=1)
    if mask is not None:
        keep &= mask.to_numpy()
    return frame[keep], statuses[keep].to_numpy(dtype=np.int64)


def with_clusters(analytic: pd.DataFrame, trajectory: TrajectoryResult) -> pd.DataFrame:
    """The rows with ``traj_cluster`` (1..k) and ``traj_label`` (the cluster's name)."""
    labels = np.asarray(trajectory.labels, dtype=int)
    names = np.array([trajectory.names[label] for label in range(1, int(labels.max(initial=0)) + 1)], dtype=object)
    relabelled = analytic.copy(deep=False)  # the other columns are shared, not copied
    relabelled["traj_cluster"] = labels
    relabelled["traj_label"] = names[labels - 1] if len(labels) else np.array([], dtype=object)
    return relabelled


# --------------------------------------------------------------------------
# Study B


def study_b_part_names() -> list[str]:
    return ["b_cleaning", "b_factor_score", "b_alpha", *(f"b_{name}" for name in study_b_model_names())]


def _study_b(frame, instrument: Instrument, cleaning_rules, options: RunOptions, stages: _Stages, result: AnalysisResult) -> None:
    cleaning = _cleaned("B", frame, cleaning_rules, stages, result, study_b_part_names()[1:])
    if cleaning is None:
        return
    sample = study_b_sample(frame, instrument, cleaning.mask)
    result.notes.append(f"Study B: {len(sample)} of {cleaning.analytic} cleaned rows complete on the model variables")
    if _stopped_when_empty(stages, cleaning, len(sample), "b_cleaning", study_b_part_names()[1:],
                           "no rows to model", "is complete on the Study B model variables"):
        return
    sample = sample.copy(deep=False)  # a new column, the others shared
    with stages.stage("b_factor_score", "Teacher's attitude factor score"):
        factor = stages.part("b_factor_score", tatt_factor_score, sample, instrument)
    if factor is not None:
        if not factor.converged:
            result.notes.append("Study B: the teacher's-attitude factor did not converge (items nearly uncorrelated)")
        sample["tatt"] = factor.scores
        result.tables["b_tatt"] = factor
    with stages.stage("b_alpha", "Reliability (Study B)"):
        alpha = stages.part("b_alpha", alpha_table, sample, instrument)
    if alpha is not None:
        result.tables["b_alpha"] = alpha
    models = {}
    with stages.stage("b_models", "Depression models"):
        for name, predictors in study_b_specifications(instrument).items():
            needs_tatt = any("tatt" in predictor.codes for predictor in predictors)
            if needs_tatt and factor is None:
                stages.skip([f"b_{name}"], "needs the teacher's-attitude factor score, which failed")
                continue
            fitted = stages.part(f"b_{name}", fit_ols, sample, STUDY_B_OUTCOME, predictors, name=name, robust=options.robust)
            if fitted is not None:
                models[name] = result.tables[f"b_{name}"] = fitted
    main_effects = {name: table for name, table in models.items() if not name.startswith("interaction_")}
    interactions = {name: table for name, table in models.items() if name.startswith("interaction_")}
    if main_effects:
        result.tables["b_main_effects"] = side_by_side(main_effects)
    if interactions:
        result.tables["b_interactions"] = side_by_side(interactions)


def study_b_sample(frame: pd.DataFrame, instrument: Instrument, mask: pd.Series | None = None) -> pd.DataFrame:
    """Rows (kept by ``mask``) complete on depression, migration, the controls, the school measures and the tatt items."""
    columns = [code for code in study_b_columns(instrument) if code != TEACHER_ATTITUDE] + list(instrument.scale_codes(TEACHER_ATTITUDE))
    keep = frame[columns].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    if mask is not None:
        keep &= mask.to_numpy()
    return frame[keep]
