"""Reads of analysis runs: the latest succeeded run of a wave, its derived columns, its tables.

The tables are built from the stored results (``AnalysisResult.to_dict()``),
never recomputed: a report shows exactly what the run produced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from analysis.core.models import ROBUST_MARKS, ROBUST_SE
from studies.models import Wave
from studies.scoping import is_study_wide, research_studies

from .models import AnalysisAssignment, AnalysisRun

DERIVED_COLUMNS = ["tatt", "traj_cluster", "traj_label"]


def run_latest_succeeded(wave: Wave) -> AnalysisRun | None:
    """The run shown and exported for ``wave``: its most recently finished succeeded run."""
    return (
        AnalysisRun.objects.filter(wave=wave, status=AnalysisRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def run_in_use(wave: Wave) -> AnalysisRun | None:
    """The run that feeds exports and the API for ``wave``: its pinned run, else its latest succeeded run."""
    pinned = AnalysisRun.objects.filter(wave=wave, pinned_at__isnull=False, status=AnalysisRun.Status.SUCCEEDED).first()
    return pinned or run_latest_succeeded(wave)


def runs_shown_by_wave(wave_ids) -> dict[str, dict[int, int | None]]:
    """For many waves in one query: ``{"latest": {wave_id: run id}, "current": {wave_id: run id}}``.

    The same runs as :func:`run_latest_succeeded` and :func:`run_in_use` (None
    for a wave without one), as correlated subqueries on the (wave, status,
    finished_at) index: a list of runs does not ask twice per wave.
    """
    succeeded = AnalysisRun.objects.filter(wave=OuterRef("pk"), status=AnalysisRun.Status.SUCCEEDED)
    rows = Wave.objects.filter(pk__in=set(wave_ids)).annotate(
        latest=Subquery(succeeded.order_by("-finished_at", "-id").values("pk")[:1]),
        pinned=Subquery(succeeded.filter(pinned_at__isnull=False).order_by("-created_at", "-id").values("pk")[:1]),
    ).values_list("pk", "latest", "pinned")
    shown: dict[str, dict[int, int | None]] = {"latest": {}, "current": {}}
    for wave_id, latest, pinned in rows:
        shown["latest"][wave_id] = latest
        shown["current"][wave_id] = pinned or latest
    return shown


def run_provenance(run: AnalysisRun) -> dict:
    """What an export says about the run that fed it (its codebook and metadata)."""
    return {
        "analysis_run": run.pk,
        "analysis_run_pinned": run.pinned_at is not None,
        "analysis_run_finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "analysis_run_data_fingerprint": run.data_fingerprint,
        "analysis_run_code_version": run.code_version,
    }


def wave_derived_columns(wave: Wave) -> pd.DataFrame | None:
    """``tatt``, ``traj_cluster``, ``traj_label`` by pid from the run in use (``run_in_use``; None without one).

    Respondents the run did not cluster or score are absent (their columns stay empty in a join).
    The frame's ``attrs["analysis_run"]`` is the run's provenance (``run_provenance``).
    """
    run = run_in_use(wave)
    if run is None:
        return None
    rows = list(
        AnalysisAssignment.objects.filter(run=run)
        .order_by("pid")
        .values_list("pid", "tatt", "traj_cluster", "traj_label")
        .iterator(chunk_size=5000)
    )
    frame = pd.DataFrame(rows, columns=["pid", *DERIVED_COLUMNS]).set_index("pid")
    frame["tatt"] = pd.to_numeric(frame["tatt"], errors="coerce").astype("float64")
    frame["traj_cluster"] = pd.to_numeric(frame["traj_cluster"], errors="coerce").astype("Int64")
    frame["traj_label"] = frame["traj_label"].replace({"": None}).astype("object")
    frame.attrs["analysis_run"] = run_provenance(run)
    return frame


def run_assignments(run: AnalysisRun) -> pd.DataFrame:
    """The run's per-respondent rows: pid, traj_cluster, traj_label, tatt, sequence."""
    rows = AnalysisAssignment.objects.filter(run=run).order_by("pid").values(
        "pid", "traj_cluster", "traj_label", "tatt", "sequence"
    )
    return pd.DataFrame(list(rows), columns=["pid", "traj_cluster", "traj_label", "tatt", "sequence"])


def cluster_sequences(run: AnalysisRun) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Status sequences (n x 12, codes 1..4), cluster numbers and cluster names of the run's clustered rows."""
    rows = list(
        AnalysisAssignment.objects.filter(run=run, traj_cluster__isnull=False)
        .exclude(sequence="")
        .values_list("sequence", "traj_cluster", "traj_label")
        .iterator(chunk_size=5000)
    )
    if not rows:
        return np.empty((0, 12), dtype=np.int64), np.empty(0, dtype=np.int64), {}
    sequences = np.array([[int(code) for code in sequence] for sequence, _, _ in rows], dtype=np.int64)
    clusters = np.array([cluster for _, cluster, _ in rows], dtype=np.int64)
    names = {int(cluster): label for _, cluster, label in rows}
    return sequences, clusters, dict(sorted(names.items()))


# --------------------------------------------------------------------------
# Scoping


def runs_visible(user) -> QuerySet:
    """Runs of the studies whose pseudonymous data the user may read (researchers, study administrators)."""
    return AnalysisRun.objects.filter(wave__study__in=research_studies(user)).select_related(
        "wave__study", "wave__instrument", "created_by"
    )


def waves_analysable(user) -> QuerySet:
    return Wave.objects.filter(study__in=research_studies(user)).select_related("study", "instrument")


def user_may_analyse(user, wave: Wave) -> bool:
    return user.is_authenticated and is_study_wide(user, wave.study)


# --------------------------------------------------------------------------
# Report tables, from stored results


@dataclass
class ReportTable:
    name: str
    title: str
    frame: pd.DataFrame  # what the CSV holds
    layout: str = "plain"  # "plain" | "models" (coef with stars, SE beneath, statistics last)
    display: pd.DataFrame | None = None  # what the page shows, when it differs from the CSV

    @property
    def shown(self) -> pd.DataFrame:
        return self.display if self.display is not None else self.frame


TITLES = {
    "flow_A": _("Cleaning flow (Study A)"),
    "flow_B": _("Cleaning flow (Study B)"),
    "cluster_sizes": _("Trajectory clusters"),
    "quality": _("Cluster quality by k"),
    "state_shares": _("Share of person-years by status, per cluster"),
    "sensitivity_quality": _("Cluster quality by k (ages 4-12)"),
    "a_table1": _("Table 1: characteristics by trajectory cluster"),
    "a_alpha": _("Reliability (Study A)"),
    "a_models": _("Models 1-4: resilience (RSCA)"),
    "a_moderation": _("Moderation by economic status and parent-child relation"),
    "a_psm": _("Propensity score matching by cluster"),
    "a_sensitivity_table1": _("Sensitivity (ages 4-12): Table 1"),
    "a_sensitivity_models": _("Sensitivity (ages 4-12): Models 1-4"),
    "a_sensitivity_moderation": _("Sensitivity (ages 4-12): moderation"),
    "a_sensitivity_psm": _("Sensitivity (ages 4-12): propensity score matching"),
    "a_sensitivity_crosstab": _("Clusters of ages 1-12 by clusters of ages 4-12"),
    "b_tatt": _("Teacher's attitude: factor loadings"),
    "b_alpha": _("Reliability (Study B)"),
    "b_main_effects": _("Depression: main effects"),
    "b_interactions": _("Depression: interactions"),
}
# Shown on the report page, in this order; every other table is a CSV download with a coefficient plot.
REPORT_ORDER = [
    "flow_A",
    "cluster_sizes",
    "quality",
    "state_shares",
    "a_table1",
    "a_alpha",
    "a_models",
    "a_moderation",
    "a_psm",
    "a_sensitivity_crosstab",
    "sensitivity_quality",
    "a_sensitivity_table1",
    "a_sensitivity_models",
    "a_sensitivity_moderation",
    "a_sensitivity_psm",
    "flow_B",
    "b_tatt",
    "b_alpha",
    "b_main_effects",
    "b_interactions",
]


def run_tables(run: AnalysisRun) -> dict[str, ReportTable]:
    """Every table of a succeeded run by name: report tables first (in ``REPORT_ORDER``), then model tables."""
    results = run.results or {}
    tables: dict[str, ReportTable] = {}
    for study, flow in (results.get("flows") or {}).items():
        tables[f"flow_{study}"] = _plain(f"flow_{study}", flow)
    if results.get("cluster_sizes"):
        tables["cluster_sizes"] = _plain("cluster_sizes", results["cluster_sizes"])
    for key, prefix in (("trajectory", ""), ("sensitivity_trajectory", "sensitivity_")):
        trajectory = results.get(key)
        if not trajectory:
            continue
        tables[f"{prefix}quality"] = _plain(f"{prefix}quality", trajectory.get("quality") or [])
        if not prefix and trajectory.get("state_shares"):
            names = trajectory.get("names") or {}
            shares = pd.DataFrame.from_dict(trajectory["state_shares"], orient="index")
            shares.insert(0, "traj_label", [names.get(str(cluster), "") for cluster in shares.index])
            tables["state_shares"] = ReportTable("state_shares", str(TITLES["state_shares"]), shares.rename_axis("traj_cluster").reset_index())
    for name, value in (results.get("tables") or {}).items():
        table = _result_table(name, value)
        if table is not None:
            tables[name] = table
    ordered = {name: tables[name] for name in REPORT_ORDER if name in tables}
    ordered.update({name: table for name, table in tables.items() if name not in ordered})
    return ordered


def model_table_names(run: AnalysisRun) -> list[str]:
    """Names of the single fitted models of a run (the ones with a coefficient plot)."""
    return [name for name, value in ((run.results or {}).get("tables") or {}).items() if _is_model(value)]


def model_terms(run: AnalysisRun, name: str) -> pd.DataFrame | None:
    value = ((run.results or {}).get("tables") or {}).get(name)
    return pd.DataFrame(value["terms"]) if _is_model(value) else None


def _is_model(value) -> bool:
    return isinstance(value, dict) and "terms" in value and "outcome" in value


def _title(name: str) -> str:
    return str(TITLES.get(name, name))


def _plain(name: str, records) -> ReportTable:
    return ReportTable(name, _title(name), pd.DataFrame(records))


def _result_table(name: str, value) -> ReportTable | None:
    if isinstance(value, list):
        frame = pd.DataFrame(value)
        if list(frame.columns[:2]) == ["term", "row"]:
            return ReportTable(name, _title(name), frame, layout="models")
        return ReportTable(name, _title(name), frame)
    if not isinstance(value, dict):
        return None
    if _is_model(value):
        terms = pd.DataFrame(value["terms"])
        return ReportTable(name, _title(name), terms, layout="models", display=_model_layout(value))
    if "display" in value:  # Table 1
        return ReportTable(name, _title(name), pd.DataFrame(value["display"]))
    if "estimates" in value:  # PSM
        return ReportTable(name, _title(name), pd.DataFrame(value["estimates"]))
    if "loadings" in value:  # factor score
        frame = pd.DataFrame(
            {"loading": value["loadings"], "communality": value.get("communalities", {})}
        ).rename_axis("item").reset_index()
        return ReportTable(name, _title(name), frame)
    return None


def _model_layout(model: dict, digits: int = 3) -> pd.DataFrame:
    """One fitted model in the layout of the studies: coefficient with stars, SE in parentheses beneath,
    then the HC1 SE in braces and the SE clustered by school in brackets when the run computed them."""
    rows = []
    column = model["name"] or "model"
    for term in model["terms"]:
        coef, se = term.get("coef"), term.get("se")
        rows.append({"term": term["term"], "row": "coef", column: _number(coef, digits) + (term.get("stars") or "")})
        rows.append({"term": "", "row": "se", column: f"({_number(se, digits)})"})
        for kind in ROBUST_SE:
            if f"se_{kind}" in term:
                opening, closing = ROBUST_MARKS[kind]
                value = term[f"se_{kind}"]
                rows.append({"term": "", "row": f"se_{kind}", column: "" if value is None else f"{opening}{_number(value, digits)}{closing}"})
    rows += [
        {"term": "N", "row": "stat", column: str(model["n"])},
        {"term": "R²", "row": "stat", column: _number(model.get("r2"), digits)},
        {"term": "adj. R²", "row": "stat", column: _number(model.get("adj_r2"), digits)},
        {"term": "F", "row": "stat", column: _number(model.get("f"), 2)},
    ]
    return pd.DataFrame(rows, columns=["term", "row", column])


def _number(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


# --------------------------------------------------------------------------
# Parts of a run: what succeeded, failed or was skipped, and why

PART_TITLES = {
    "a_cleaning": _("Cleaning (Study A)"),
    "a_alpha": _("Reliability (Study A)"),
    "a_clustering": _("Trajectory clusters"),
    "a_table1": _("Table 1"),
    "a_psm": _("Propensity score matching"),
    "a_sensitivity_clustering": _("Trajectory clusters (ages 4-12)"),
    "a_sensitivity_table1": _("Table 1 (ages 4-12)"),
    "a_sensitivity_psm": _("Propensity score matching (ages 4-12)"),
    "b_cleaning": _("Cleaning (Study B)"),
    "b_factor_score": _("Teacher's attitude factor score"),
    "b_alpha": _("Reliability (Study B)"),
}
PART_STATUSES = {"ok": _("done"), "failed": _("failed"), "skipped": _("skipped")}


def run_parts(run: AnalysisRun) -> list[dict]:
    """Each part of a finished run: name, study, title, status (ok | failed | skipped), its label, and why.

    Runs stored before parts were recorded have none (an empty list).
    """
    parts = ((run.results or {}).get("parts") or {}).items()
    return [
        {
            "name": name,
            "study": "A" if name.startswith("a_") else "B",
            "title": str(PART_TITLES.get(name, _part_title(name))),
            "status": part.get("status", ""),
            "status_label": str(PART_STATUSES.get(part.get("status"), part.get("status", ""))),
            "message": part.get("message", ""),
        }
        for name, part in parts
    ]


def _part_title(name: str) -> str:
    """A model's part: its name as in the tables, with the study and, for the sensitivity run, the ages."""
    if name.startswith("a_sensitivity_"):
        return _("Study A %(model)s (ages 4-12)") % {"model": name.removeprefix("a_sensitivity_")}
    study = "A" if name.startswith("a_") else "B"
    return _("Study %(study)s %(model)s") % {"study": study, "model": name[2:]}
