"""The whole analysis of a wave, from scored responses to the report's tables.

Study A: cleaning flow -> status sequences of the analytic sample ->
trajectory clusters -> alpha -> Table 1 -> Models 1-4 and moderation -> PSM
per cluster -> sensitivity run on ages 4-12. Study B: its own cleaning ->
complete cases -> teacher's-attitude factor score -> the depression models.
Each stage is a small function, timed, and reported to ``progress``.

Plain Python: no Django import.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.core.descriptives import STUDY_A_TABLE1, table1
from analysis.core.models import (
    CLUSTER_COLUMN,
    SCHOOL_COLUMN,
    cluster_levels,
    fit_study_a,
    fit_study_b,
    side_by_side,
    study_a_covariate_sets,
    study_b_columns,
    to_jsonable,
)
from analysis.core.psm import psm_by_cluster
from analysis.core.reliability import TATT_ITEMS, alpha_table, tatt_factor_score
from analysis.core.trajectories import TrajectoryParams, TrajectoryResult, cluster_trajectories
from scoring.cleaning import CLEANING_RULES, clean
from scoring.instrument import Instrument, default_instrument

Progress = Callable[[float, str], None]
STUDIES = ("A", "B", "both")
SEQUENCE_COLUMNS = [f"mig_{year:02d}" for year in range(1, 13)]
SENSITIVITY_YEARS = (4, 12)
# Study B keeps the response-quality rules only: the others concern residence histories and the resilience models.
STUDY_B_RULES = {name: name in ("straightline", "speeding") for name, _ in CLEANING_RULES}

# Share of the run's time per stage, for the progress bar (clustering dominates).
STAGE_WEIGHTS = {
    "a_cleaning": 0.01,
    "a_sequences": 0.01,
    "a_clustering": 0.40,
    "a_alpha": 0.01,
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

    @property
    def flow(self) -> pd.DataFrame:
        """The cleaning flow of the main study of the run (A unless only B ran)."""
        return self.flows["A" if "A" in self.flows else "B"]

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
        }


def _trajectory_summary(result: TrajectoryResult | None) -> dict | None:
    """The trajectory result without its per-row labels (those are in ``assignments``)."""
    if result is None:
        return None
    summary = result.to_dict()
    summary.pop("labels", None)
    return summary


class _Stages:
    """Runs stages in order, timing each and mapping its progress onto the run's fraction."""

    def __init__(self, names: list[str], progress: Progress | None):
        total = sum(STAGE_WEIGHTS[name] for name in names)
        self.start, position = {}, 0.0
        for name in names:
            self.start[name] = position / total
            position += STAGE_WEIGHTS[name]
        self.share = {name: STAGE_WEIGHTS[name] / total for name in names}
        self.progress = progress
        self.timings: dict[str, float] = {}

    def report(self, fraction: float, message: str) -> None:
        if self.progress:
            self.progress(min(max(fraction, 0.0), 1.0), message)

    def within(self, name: str) -> Progress:
        """A progress callback for work inside stage ``name``."""
        return lambda fraction, message: self.report(self.start[name] + self.share[name] * fraction, message)

    def run(self, name: str, message: str, function, *args, **kwargs):
        self.report(self.start[name], message)
        began = time.perf_counter()
        value = function(*args, **kwargs)
        self.timings[name] = time.perf_counter() - began
        return value


def run_analysis(
    raw_and_scored: pd.DataFrame,
    *,
    params: TrajectoryParams | None = None,
    cleaning_rules: Mapping[str, bool] | None = None,
    study: str = "A",
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run Study A, Study B or both on a frame of raw items joined with their derived columns.

    ``cleaning_rules`` switches rules of ``scoring.cleaning`` off; by default
    Study A applies every rule and Study B only straight-lining and speeding.
    """
    if study not in STUDIES:
        raise ValueError(f"study must be one of {STUDIES}")
    params = params or TrajectoryParams()
    run_a, run_b = study in ("A", "both"), study in ("B", "both")
    names = [name for name in STAGE_WEIGHTS if (run_a and name.startswith("a_")) or (run_b and name.startswith("b_"))]
    stages = _Stages(names, progress)
    result = AnalysisResult(
        study=study,
        flows={},
        trajectory=None,
        sensitivity_trajectory=None,
        assignments=pd.DataFrame(columns=["pid", "traj_cluster", "traj_label"]),
        tables={},
        timings=stages.timings,
        parameters={"trajectory": _params_dict(params), "cleaning_rules": dict(cleaning_rules or {}), "study": study},
    )
    raw_and_scored = analysis_frame(raw_and_scored)
    # The models' matrices are small (n x 20): one BLAS thread is fastest, and
    # threads spinning on a busy 2-core machine made each QR 60 times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        if run_a:
            _study_a(raw_and_scored, params, cleaning_rules, stages, result)
        if run_b:
            _study_b(raw_and_scored, cleaning_rules if cleaning_rules is not None else STUDY_B_RULES, stages, result)
    stages.report(1.0, "Analysis done")
    return result


def analysis_frame(frame: pd.DataFrame, instrument: Instrument | None = None) -> pd.DataFrame:
    """Only what the analyses read, compact: ``pid`` and numbers (codes as float32, scores as float64,
    the school as a number 0..S-1).

    A wave of a million children arrives with ~160 columns, many of them
    nullable integers or text; every stage then slices rows of it, so a
    compact frame keeps the whole rebuild within a few gigabytes.
    """
    instrument = instrument or default_instrument()
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


def _study_a(frame, params, cleaning_rules, stages: _Stages, result: AnalysisResult) -> None:
    cleaning = stages.run("a_cleaning", "Cleaning (Study A)", clean, frame, cleaning_rules)
    result.flows["A"] = cleaning.flow_frame()
    analytic, sequences = stages.run("a_sequences", "Status sequences", analytic_sequences, frame, cleaning.mask)
    if len(analytic) < cleaning.analytic:
        result.notes.append(
            f"{cleaning.analytic - len(analytic)} analytic rows without a complete status sequence were not clustered"
        )
    trajectory = stages.run(
        "a_clustering", "Clustering trajectories", cluster_trajectories, sequences, params, stages.within("a_clustering")
    )
    result.trajectory = trajectory
    analytic = with_clusters(analytic, trajectory)
    result.assignments = analytic[["pid", "traj_cluster", "traj_label"]].reset_index(drop=True)
    tables = result.tables
    tables["a_alpha"] = stages.run("a_alpha", "Reliability", alpha_table, analytic)
    order = [name for name, _ in cluster_levels(analytic[CLUSTER_COLUMN])]
    tables["a_table1"] = stages.run(
        "a_table1", "Table 1", table1, analytic, CLUSTER_COLUMN, STUDY_A_TABLE1, group_order=order
    )
    models = stages.run("a_models", "Models 1-4 and moderation", fit_study_a, analytic)
    tables.update({f"a_{name}": table for name, table in models.items()})
    tables["a_models"] = side_by_side({name: models[name] for name in ("model1", "model2", "model3", "model4")})
    tables["a_moderation"] = side_by_side(
        {name: models[name] for name in ("model4", "moderation_economic", "moderation_pcr")}
    )
    psm = stages.run("a_psm", "Propensity score matching", psm_by_cluster, analytic, study_a_covariate_sets())
    tables["a_psm"] = psm
    result.notes += [f"PSM {f['treated']} ({f['covariate_set']}) failed: {f['error']}" for f in psm.failures]
    stages.run("a_sensitivity", "Sensitivity run (ages 4-12)", _sensitivity, analytic, sequences, params, models, stages, result)


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


def _sensitivity(analytic, sequences, params, main_models, stages: _Stages, result: AnalysisResult) -> None:
    """Clusters of ages 4-12 only, and Models 1 and 4 on them, beside the main run."""
    sensitivity_params = dataclasses.replace(params, years=SENSITIVITY_YEARS)
    trajectory = cluster_trajectories(sequences, sensitivity_params, stages.within("a_sensitivity"))
    result.sensitivity_trajectory = trajectory
    relabelled = with_clusters(analytic, trajectory)
    models = fit_study_a(relabelled, models=["model1", "model4"])
    tables = result.tables
    tables["a_sensitivity_model1"], tables["a_sensitivity_model4"] = models["model1"], models["model4"]
    tables["a_sensitivity_models"] = side_by_side(
        {
            "model1": main_models["model1"],
            "model1 (ages 4-12)": models["model1"],
            "model4": main_models["model4"],
            "model4 (ages 4-12)": models["model4"],
        }
    )
    tables["a_sensitivity_crosstab"] = pd.crosstab(
        analytic[CLUSTER_COLUMN].rename("ages 1-12"), relabelled[CLUSTER_COLUMN].rename("ages 4-12")
    )


# --------------------------------------------------------------------------
# Study B


def _study_b(frame, cleaning_rules, stages: _Stages, result: AnalysisResult) -> None:
    cleaning = stages.run("b_cleaning", "Cleaning (Study B)", clean, frame, cleaning_rules)
    result.flows["B"] = cleaning.flow_frame()
    sample = study_b_sample(frame, cleaning.mask)
    result.notes.append(f"Study B: {len(sample)} of {cleaning.analytic} cleaned rows complete on the model variables")
    factor = stages.run("b_factor_score", "Teacher's attitude factor score", tatt_factor_score, sample)
    if not factor.converged:
        result.notes.append("Study B: the teacher's-attitude factor did not converge (items nearly uncorrelated)")
    sample = sample.copy(deep=False)  # a new column, the others shared
    sample["tatt"] = factor.scores
    result.tables["b_tatt"] = factor
    result.tables["b_alpha"] = stages.run("b_alpha", "Reliability (Study B)", alpha_table, sample)
    models = stages.run("b_models", "Depression models", fit_study_b, sample)
    result.tables.update({f"b_{name}": table for name, table in models.items()})
    result.tables["b_main_effects"] = side_by_side(
        {name: table for name, table in models.items() if not name.startswith("interaction_")}
    )
    result.tables["b_interactions"] = side_by_side(
        {name: table for name, table in models.items() if name.startswith("interaction_")}
    )


def study_b_sample(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.DataFrame:
    """Rows (kept by ``mask``) complete on depression, migration, the controls, the school measures and the tatt items."""
    columns = [code for code in study_b_columns() if code != "tatt"] + list(TATT_ITEMS)
    keep = frame[columns].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    if mask is not None:
        keep &= mask.to_numpy()
    return frame[keep]
