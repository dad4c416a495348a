"""Table 1: every model variable by trajectory cluster, with a total column.

Continuous variables: mean and SD per group, one-way ANOVA p across groups.
Categorical variables: column percentages of the answered rows, Pearson
chi-square p (no continuity correction). Plain Python: no Django import.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.models import dictionary_levels, to_jsonable
from scoring.instrument import Instrument

TOTAL = "Total"


@dataclass(frozen=True)
class TableVariable:
    code: str
    label: str
    kind: str = "continuous"  # continuous | categorical
    levels: tuple = ()  # (value, label) pairs for categorical


def continuous(code: str, label: str) -> TableVariable:
    return TableVariable(code, label)


def categorical(code: str, label: str) -> TableVariable:
    """A categorical row block; its levels are the option labels of the wave's dictionary (see ``table1``)."""
    return TableVariable(code, label, kind="categorical")


STUDY_A_TABLE1: tuple[TableVariable, ...] = (
    continuous("rsca", "resilience"),
    continuous("rsca_indiv", "individual power"),
    continuous("rsca_support", "supportive power"),
    continuous("family_econ", "family economic status"),
    continuous("pcr", "parent-child relation"),
    categorical("gender", "gender"),
    categorical("hukou", "hukou"),
    continuous("age", "age"),
    categorical("only_child", "siblings"),
    continuous("academic_rank", "academic rank"),
    categorical("health_good", "health"),
    categorical("father_edu3", "father's education"),
    categorical("mother_edu3", "mother's education"),
    continuous("parents_relation", "parents' relation"),
    categorical("boarding", "boarding"),
    categorical("classmate_friendly", "classmates"),
    continuous("neighbor_relation", "neighbourhood relation"),
)


@dataclass
class Table1:
    """``cells``: one numeric row per variable (and level) and group; ``tests``: p per variable."""

    groups: list[str]  # in column order, without the total
    group_sizes: dict[str, int]  # including the total
    cells: pd.DataFrame  # variable label level level_label group n mean sd count percent
    tests: pd.DataFrame  # variable test statistic df1 df2 p

    def value(self, variable: str, group: str, column: str, level=None) -> float:
        rows = self.cells[(self.cells["variable"] == variable) & (self.cells["group"] == group)]
        if level is not None:
            rows = rows[rows["level"] == level]
        return float(rows[column].iloc[0])

    def p(self, variable: str) -> float:
        return float(self.tests.set_index("variable").loc[variable, "p"])

    def to_frame(self, digits: int = 2) -> pd.DataFrame:
        """Display form: 'mean (SD)' or '%' per group and total, p once per variable."""
        columns = [*self.groups, TOTAL]
        rows = [{"variable": "N", "level": "", **{g: str(self.group_sizes[g]) for g in columns}, "p": ""}]
        p_values = self.tests.set_index("variable")["p"]
        for (variable, label), block in self.cells.groupby(["variable", "label"], sort=False):
            p_text = _format_p(p_values.get(variable, np.nan))
            if block["level"].isna().all():
                stats_by_group = block.set_index("group")
                rows.append(
                    {
                        "variable": f"{label}, mean (SD)",
                        "level": "",
                        **{
                            g: f"{stats_by_group.loc[g, 'mean']:.{digits}f} ({stats_by_group.loc[g, 'sd']:.{digits}f})"
                            for g in columns
                        },
                        "p": p_text,
                    }
                )
                continue
            rows.append({"variable": f"{label}, %", "level": "", **{g: "" for g in columns}, "p": p_text})
            for (_level, level_label), level_block in block.groupby(["level", "level_label"], sort=False):
                by_group = level_block.set_index("group")
                rows.append(
                    {
                        "variable": "",
                        "level": level_label,
                        **{g: f"{by_group.loc[g, 'percent']:.{max(digits - 1, 0)}f}" for g in columns},
                        "p": "",
                    }
                )
        return pd.DataFrame(rows, columns=["variable", "level", *columns, "p"])

    def to_dict(self) -> dict:
        return {
            "groups": list(self.groups),
            "group_sizes": {k: int(v) for k, v in self.group_sizes.items()},
            "cells": to_jsonable(self.cells),
            "tests": to_jsonable(self.tests),
            "display": to_jsonable(self.to_frame()),
        }


def _format_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def table1(
    frame: pd.DataFrame,
    group: str,
    variables: Sequence[TableVariable] = STUDY_A_TABLE1,
    *,
    instrument: Instrument,
    group_order: Sequence[str] | None = None,
) -> Table1:
    """Table 1 of ``variables`` by ``group`` over rows whose group is known.

    A categorical variable without levels of its own shows the options of ``instrument`` (the wave's version).
    """
    frame = frame[frame[group].notna()]
    groups = list(group_order) if group_order is not None else sorted(frame[group].unique(), key=str)
    groups = [g for g in groups if (frame[group] == g).any()]
    members = {g: frame[group] == g for g in groups}
    members[TOTAL] = pd.Series(True, index=frame.index)
    cells, tests = [], []
    for variable in variables:
        if variable.code not in frame.columns:
            continue
        values = pd.to_numeric(frame[variable.code], errors="coerce").astype("float64")  # codes arrive as float32
        if variable.kind == "continuous":
            cells += _continuous_cells(variable, values, members)
            tests.append(_anova(variable.code, [values[members[g]].dropna() for g in groups]))
        else:
            levels = variable.levels or dictionary_levels(variable.code, instrument)
            cells += _categorical_cells(variable, levels, values, members)
            tests.append(_chi_square(variable.code, values, frame[group], groups))
    return Table1(
        groups=[str(g) for g in groups],
        group_sizes={str(g): int(mask.sum()) for g, mask in members.items()},
        cells=pd.DataFrame(cells),
        tests=pd.DataFrame(tests, columns=["variable", "test", "statistic", "df1", "df2", "p"]),
    )


def _continuous_cells(variable: TableVariable, values: pd.Series, members: dict) -> list[dict]:
    rows = []
    for g, mask in members.items():
        answered = values[mask].dropna()
        rows.append(
            {
                "variable": variable.code,
                "label": variable.label,
                "level": None,
                "level_label": None,
                "group": str(g),
                "n": len(answered),
                "mean": answered.mean() if len(answered) else np.nan,
                "sd": answered.std(ddof=1) if len(answered) > 1 else np.nan,
                "count": np.nan,
                "percent": np.nan,
            }
        )
    return rows


def _categorical_cells(variable: TableVariable, levels: tuple, values: pd.Series, members: dict) -> list[dict]:
    rows = []
    for level, level_label in levels:
        for g, mask in members.items():
            answered = values[mask].dropna()
            count = int((answered == level).sum())
            rows.append(
                {
                    "variable": variable.code,
                    "label": variable.label,
                    "level": level,
                    "level_label": level_label,
                    "group": str(g),
                    "n": len(answered),
                    "mean": np.nan,
                    "sd": np.nan,
                    "count": count,
                    "percent": 100 * count / len(answered) if len(answered) else np.nan,
                }
            )
    return rows


def _anova(code: str, samples: list[pd.Series]) -> dict:
    samples = [s for s in samples if len(s)]
    if len(samples) < 2 or sum(len(s) for s in samples) <= len(samples):
        return {"variable": code, "test": "ANOVA", "statistic": np.nan, "df1": np.nan, "df2": np.nan, "p": np.nan}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant groups: F is nan, reported as such
        result = stats.f_oneway(*samples)
    return {
        "variable": code,
        "test": "ANOVA",
        "statistic": float(result.statistic),
        "df1": len(samples) - 1,
        "df2": sum(len(s) for s in samples) - len(samples),
        "p": float(result.pvalue),
    }


def _chi_square(code: str, values: pd.Series, groups_column: pd.Series, groups: list) -> dict:
    answered = values.notna() & groups_column.isin(groups)
    table = pd.crosstab(values[answered], groups_column[answered])
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {"variable": code, "test": "chi-square", "statistic": np.nan, "df1": np.nan, "df2": np.nan, "p": np.nan}
    statistic, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    return {"variable": code, "test": "chi-square", "statistic": float(statistic), "df1": int(dof), "df2": np.nan, "p": float(p)}
