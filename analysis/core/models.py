"""OLS models of the two studies, coded as their published tables.

Design matrices are built explicitly rather than from formulas: the tables
need fixed reference levels, indicators that keep a missing answer missing,
and term names that read like the published tables. The matrix is then
fitted by statsmodels with QR least squares, as R's ``lm`` does, with R's
listwise deletion and R's handling of aliased (linearly dependent) columns.

Plain Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from scoring.alphabet import MIGRATION_STATUSES
from scoring.instrument import Instrument

CONSTANT = "constant"
CLUSTER_COLUMN = "traj_label"
CLUSTER_REFERENCE = MIGRATION_STATUSES.by_short("NM").name  # non-migration
CLUSTER_ORDER = MIGRATION_STATUSES.cluster_names
ALIAS_TOLERANCE = 1e-7  # R's lm.fit tol: a column is aliased below this relative residual norm
# Standard errors besides the classical ones: heteroskedasticity-consistent HC1 and clustered by school,
# both with the small-sample factors of R's sandwich (vcovHC(type = "HC1"), vcovCL's defaults).
ROBUST_SE = ("HC1", "cluster")
SCHOOL_COLUMN = "school_code"
ROBUST_MARKS = {"HC1": ("{", "}"), "cluster": ("[", "]")}  # how the tables set them beneath the classical SE


def significance_stars(p: float) -> str:
    """Stars as in the published tables: * p<.05, ** p<.01, *** p<.001."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def to_jsonable(value):
    """Plain JSON types for numpy/pandas values (NaN and inf become None, frames become records)."""
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index() if _index_is_informative(value.index) else value
        return [
            {str(column): to_jsonable(cell) for column, cell in zip(frame.columns, row)}
            for row in frame.itertuples(index=False, name=None)
        ]
    if isinstance(value, pd.Series):
        return {str(key): to_jsonable(cell) for key, cell in value.items()}
    if hasattr(value, "to_dict") and not isinstance(value, (dict, type)):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(cell) for key, cell in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(cell) for cell in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def _index_is_informative(index: pd.Index) -> bool:
    return index.name is not None or not isinstance(index, pd.RangeIndex)


# --------------------------------------------------------------------------
# Predictors: how a column of the analytic frame becomes design columns


@dataclass(frozen=True)
class Predictor:
    """One predictor of a model and its coding.

    ``numeric`` enters as is; ``indicator`` is 1 when the column equals
    ``value`` (missing stays missing); ``categorical`` is treatment coded with
    the first of ``levels`` as reference (R's ``contr.treatment``).
    """

    code: str
    label: str
    kind: str = "numeric"
    value: object = None
    levels: tuple = ()  # (value, label) pairs, reference first

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code,)

    def columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        source = frame[self.code]
        if self.kind == "numeric":
            return pd.DataFrame({self.label: pd.to_numeric(source, errors="coerce").astype(float)})
        if self.kind == "indicator":
            return pd.DataFrame({self.label: _indicator(source, self.value)})
        if self.kind == "categorical":
            return pd.DataFrame(
                {self.level_label(label): _indicator(source, value) for value, label in self.levels[1:]},
                index=frame.index,
            )
        raise ValueError(f"unknown predictor kind {self.kind!r}")

    def level_label(self, level_label: str) -> str:
        return f"{self.label}: {level_label}" if self.label else level_label

    @property
    def reference(self) -> str | None:
        return self.levels[0][1] if self.kind == "categorical" and self.levels else None


@dataclass(frozen=True)
class Interaction:
    """Products of every design column of ``left`` with every one of ``right``."""

    left: Predictor
    right: Predictor

    @property
    def codes(self) -> tuple[str, ...]:
        return self.left.codes + self.right.codes

    def columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        left, right = self.left.columns(frame), self.right.columns(frame)
        return pd.DataFrame(
            {f"{a} × {b}": left[a] * right[b] for a in left.columns for b in right.columns},
            index=frame.index,
        )


def _indicator(source: pd.Series, value) -> pd.Series:
    values = source.to_numpy(dtype=object) if isinstance(value, str) else pd.to_numeric(source, errors="coerce").to_numpy(dtype=float)
    coded = (values == value).astype(float)
    coded[source.isna().to_numpy()] = np.nan
    return pd.Series(coded, index=source.index)


def numeric(code: str, label: str) -> Predictor:
    return Predictor(code, label)


def indicator(code: str, label: str, value) -> Predictor:
    return Predictor(code, label, kind="indicator", value=value)


def categorical(code: str, label: str, levels: Sequence[tuple], reference=None) -> Predictor:
    """Treatment-coded categories; ``reference`` (a value) is moved first."""
    levels = tuple(levels)
    if reference is not None:
        levels = tuple(sorted(levels, key=lambda level: level[0] != reference))
    return Predictor(code, label, kind="categorical", levels=levels)


def dictionary_levels(code: str, instrument: Instrument) -> tuple[tuple[int, str], ...]:
    """(code, English label) pairs of a choice variable, from the wave's own data dictionary."""
    return tuple((option.code, option.text("en")) for option in instrument[code].options)


def design_matrix(frame: pd.DataFrame, predictors: Iterable[Predictor | Interaction]) -> pd.DataFrame:
    """Design columns of the predictors, with the constant first (R's intercept)."""
    parts = [pd.DataFrame({CONSTANT: 1.0}, index=frame.index)]
    parts += [predictor.columns(frame) for predictor in predictors]
    return pd.concat(parts, axis=1)


# --------------------------------------------------------------------------
# Fitting and the result table


@dataclass
class ModelTable:
    """One fitted OLS model: the terms (coef, SE, t, p, 95 % CI, stars) and fit statistics."""

    name: str
    outcome: str
    terms: pd.DataFrame  # index: term; columns coef se t p ci_low ci_high stars
    n: int
    r2: float
    adj_r2: float
    f: float
    f_p: float
    df_model: int
    df_resid: int
    aliased: tuple = ()
    references: dict = field(default_factory=dict)  # predictor label -> reference level
    robust: dict = field(default_factory=dict)  # kind -> how it was computed, or why it was not

    def coef(self, term: str) -> float:
        return float(self.terms.loc[term, "coef"])

    def se(self, term: str) -> float:
        return float(self.terms.loc[term, "se"])

    def to_frame(self) -> pd.DataFrame:
        """The terms as a frame (``term`` a column), the constant last as in the tables."""
        return _constant_last(self.terms).reset_index(names="term")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "terms": to_jsonable(self.to_frame()),
            "n": self.n,
            "r2": to_jsonable(self.r2),
            "adj_r2": to_jsonable(self.adj_r2),
            "f": to_jsonable(self.f),
            "f_p": to_jsonable(self.f_p),
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "aliased": list(self.aliased),
            "references": dict(self.references),
            "robust": to_jsonable(self.robust),
        }


def _constant_last(terms: pd.DataFrame) -> pd.DataFrame:
    order = [term for term in terms.index if term != CONSTANT] + [term for term in terms.index if term == CONSTANT]
    return terms.loc[order]


def aliased_columns(design: pd.DataFrame, tolerance: float = ALIAS_TOLERANCE) -> list[str]:
    """Columns linearly dependent on the columns before them, as R's pivoting QR finds them.

    R keeps the column order and sets such a column's coefficient to NA; here
    it is left out of the fit and listed in ``ModelTable.aliased``.
    """
    values = design.to_numpy(dtype=float)
    basis = np.empty((len(values), 0))  # orthonormal basis of the kept columns
    aliased: list[str] = []
    for index, name in enumerate(design.columns):
        column = values[:, index]
        norm = np.linalg.norm(column)
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)  # second Gram-Schmidt pass for accuracy
        residual_norm = np.linalg.norm(residual)
        if norm == 0 or residual_norm < tolerance * norm:
            aliased.append(name)
        else:
            basis = np.column_stack([basis, residual / residual_norm])
    return aliased


def fit_ols(
    frame: pd.DataFrame,
    outcome: str,
    predictors: Sequence[Predictor | Interaction],
    *,
    name: str = "",
    robust: Sequence[str] = (),
    cluster_column: str = SCHOOL_COLUMN,
) -> ModelTable:
    """OLS of ``outcome`` on the predictors with listwise deletion (R's ``na.omit``).

    ``robust`` adds standard errors beside the classical ones (columns
    ``se_<kind>``, ``t_<kind>``, ``p_<kind>``): ``HC1`` and ``cluster`` (by
    ``cluster_column``), as ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit,
    type = "HC1"))`` and ``coeftest(fit, vcov = vcovCL(fit, cluster = ~school))``
    give them: t tests on the model's residual degrees of freedom.
    """
    unknown = set(robust) - set(ROBUST_SE)
    if unknown:
        raise ValueError(f"robust standard errors are {', '.join(ROBUST_SE)}, not {', '.join(sorted(unknown))}")
    label = name or outcome
    design = design_matrix(frame, predictors)
    response = pd.to_numeric(frame[outcome], errors="coerce").astype(float)
    complete = design.notna().all(axis=1) & response.notna()
    design, response = design[complete], response[complete]
    aliased = aliased_columns(design)
    design = design.drop(columns=aliased)
    if len(response) <= design.shape[1]:
        raise ValueError(f"{label}: {len(response)} complete rows for {design.shape[1]} coefficients")
    fit = sm.OLS(response.to_numpy(), design.to_numpy(), hasconst=True).fit(method="qr")
    ci = fit.conf_int(0.05)
    terms = pd.DataFrame(
        {
            "coef": fit.params,
            "se": fit.bse,
            "t": fit.tvalues,
            "p": fit.pvalues,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        },
        index=pd.Index(design.columns, name="term"),
    )
    terms["stars"] = [significance_stars(p) for p in terms["p"]]
    robust_info = {}
    for kind in robust:
        groups = frame.loc[complete, cluster_column] if kind == "cluster" and cluster_column in frame else None
        se, robust_info[kind] = robust_standard_errors(fit, kind, groups)
        t = fit.params / se
        terms[f"se_{kind}"], terms[f"t_{kind}"] = se, t
        terms[f"p_{kind}"] = 2 * stats.t.sf(np.abs(t), fit.df_resid)
    has_slopes = design.shape[1] > 1
    return ModelTable(
        name=name,
        outcome=outcome,
        terms=terms,
        n=int(fit.nobs),
        r2=float(fit.rsquared),
        adj_r2=float(fit.rsquared_adj),
        f=float(fit.fvalue) if has_slopes else float("nan"),
        f_p=float(fit.f_pvalue) if has_slopes else float("nan"),
        df_model=int(fit.df_model),
        df_resid=int(fit.df_resid),
        aliased=tuple(aliased),
        references={p.label or p.code: p.reference for p in predictors if isinstance(p, Predictor) and p.reference},
        robust=robust_info,
    )


def robust_standard_errors(fit, kind: str, groups: pd.Series | None = None) -> tuple[np.ndarray, dict]:
    """Sandwich standard errors of an OLS fit and how they were computed (or, all NaN, why not).

    statsmodels' small-sample factors equal sandwich's defaults: HC1 scales by
    n / (n - k); the cluster-robust covariance by G / (G - 1) * (n - 1) / (n - k)
    (``vcovCL(type = "HC1", cadjust = TRUE)``), which ``use_correction`` gives.
    """
    missing = np.full(len(fit.params), np.nan)
    if kind == "HC1":
        return np.asarray(fit.get_robustcov_results(cov_type="HC1").bse), {"kind": "HC1"}
    if groups is None:
        return missing, {"kind": "cluster", "error": "no school column in the data"}
    if groups.isna().any():
        return missing, {"kind": "cluster", "error": f"{int(groups.isna().sum())} rows without a school"}
    codes = pd.factorize(groups)[0]
    count = int(codes.max()) + 1 if len(codes) else 0
    if count < 2:
        return missing, {"kind": "cluster", "error": f"{count} school: clustering needs at least 2"}
    robust = fit.get_robustcov_results(cov_type="cluster", groups=codes, use_correction=True, df_correction=True)
    return np.asarray(robust.bse), {"kind": "cluster", "by": "school", "clusters": count}


def side_by_side(models: Mapping[str, ModelTable], *, digits: int = 3) -> pd.DataFrame:
    """Several models in columns as in the published tables.

    Per term a row with the coefficient and its stars and a row with the SE
    in parentheses beneath (then, when fitted, a row of HC1 SEs in braces and
    one of SEs clustered by school in brackets); then N, R², adjusted R² and
    F. Columns: ``term``, ``row`` (coef | se | se_HC1 | se_cluster | stat) and
    one column per model.
    """
    order: list[str] = []
    for table in models.values():
        order += [term for term in table.terms.index if term not in order and term != CONSTANT]
    order.append(CONSTANT)
    rows = []
    for term in order:
        coef_row = {"term": term, "row": "coef"}
        se_row = {"term": "", "row": "se"}
        for column, table in models.items():
            if term in table.terms.index:
                entry = table.terms.loc[term]
                coef_row[column] = f"{entry['coef']:.{digits}f}{entry['stars']}"
                se_row[column] = f"({entry['se']:.{digits}f})"
            else:
                coef_row[column] = se_row[column] = ""
        rows += [coef_row, se_row]
        for kind in ROBUST_SE:
            if not any(f"se_{kind}" in table.terms.columns for table in models.values()):
                continue
            opening, closing = ROBUST_MARKS[kind]
            robust_row = {"term": "", "row": f"se_{kind}"}
            for column, table in models.items():
                value = table.terms[f"se_{kind}"].get(term) if f"se_{kind}" in table.terms.columns else None
                robust_row[column] = f"{opening}{value:.{digits}f}{closing}" if value is not None and np.isfinite(value) else ""
            rows.append(robust_row)
    statistics = (
        ("N", lambda t: f"{t.n:d}"),
        ("R²", lambda t: f"{t.r2:.{digits}f}"),
        ("adj. R²", lambda t: f"{t.adj_r2:.{digits}f}"),
        ("F", lambda t: f"{t.f:.2f}" if np.isfinite(t.f) else ""),
    )
    for label, render in statistics:
        rows.append({"term": label, "row": "stat", **{column: render(table) for column, table in models.items()}})
    return pd.DataFrame(rows, columns=["term", "row", *models])


# --------------------------------------------------------------------------
# Study A: trajectories and resilience


def cluster_levels(labels: Iterable[str], reference: str = CLUSTER_REFERENCE) -> tuple[tuple[str, str], ...]:
    """Cluster names in table order, the reference first.

    Names follow the canonical order (non-migration, migration, LB1, LB2,
    transition), suffixed repeats after their base name. When no cluster is
    called ``reference`` exactly, the first name starting with it is the
    reference, else the first name in that order.
    """
    names = sorted({str(label) for label in labels if pd.notna(label)}, key=_cluster_sort_key)
    if reference not in names:
        reference = next((name for name in names if name.startswith(reference)), names[0] if names else reference)
    ordered = [reference] + [name for name in names if name != reference]
    return tuple((name, name) for name in ordered)


def _cluster_sort_key(name: str) -> tuple:
    for rank, base in enumerate(CLUSTER_ORDER):
        if name == base or name.startswith(base + " ") or name.startswith(base + "_"):
            return (rank, len(name), name)
    return (len(CLUSTER_ORDER), len(name), name)


def cluster_predictor(labels: Iterable[str], column: str = CLUSTER_COLUMN) -> Predictor:
    """The trajectory cluster factor, reference non-migration, terms named by cluster."""
    return Predictor(column, "", kind="categorical", levels=cluster_levels(labels))


def _edu3(code: str, person: str, instrument: Instrument) -> Predictor:
    return Predictor(code, person, kind="categorical", levels=dictionary_levels(code, instrument))


def study_a_controls(instrument: Instrument) -> tuple[Predictor, ...]:
    """The resilience study's controls; the parents' education levels come from ``instrument``."""
    return (
        indicator("gender", "girl", 2),
        indicator("hukou", "urban", 2),
        numeric("age", "age"),
        indicator("only_child", "two or more children", 0),
        numeric("academic_rank", "academic rank"),
        indicator("health_good", "health better", 1),
        _edu3("father_edu3", "father", instrument),
        _edu3("mother_edu3", "mother", instrument),
        numeric("parents_relation", "parents' relation"),
        indicator("boarding", "not boarding", 0),
        indicator("classmate_friendly", "classmates friendly", 1),
        numeric("neighbor_relation", "neighbourhood relation"),
    )


ECONOMIC = numeric("family_econ", "economic status")
PARENT_CHILD = numeric("pcr", "parent-child relation")
STUDY_A_OUTCOME = "rsca"


def study_a_covariate_sets(instrument: Instrument) -> dict[str, tuple[Predictor, ...]]:
    """Covariates (besides the cluster) of Models 2-4; also the propensity models of the PSM check."""
    controls = study_a_controls(instrument)
    return {
        "model2": controls,
        "model3": (*controls, ECONOMIC),
        "model4": (*controls, ECONOMIC, PARENT_CHILD),
    }


def study_a_specifications(labels: Iterable[str], instrument: Instrument, cluster_column: str = CLUSTER_COLUMN) -> dict[str, tuple]:
    """Models 1-4 and the two moderation models (full controls) of the resilience study."""
    cluster = cluster_predictor(labels, cluster_column)
    sets = study_a_covariate_sets(instrument)
    full = sets["model4"]
    return {
        "model1": (cluster,),
        "model2": (cluster, *sets["model2"]),
        "model3": (cluster, *sets["model3"]),
        "model4": (cluster, *full),
        "moderation_economic": (cluster, *full, Interaction(cluster, ECONOMIC)),
        "moderation_pcr": (cluster, *full, Interaction(cluster, PARENT_CHILD)),
    }


def fit_study_a(
    frame: pd.DataFrame,
    *,
    instrument: Instrument,
    cluster_column: str = CLUSTER_COLUMN,
    outcome: str = STUDY_A_OUTCOME,
    models: Sequence[str] | None = None,
    robust: Sequence[str] = (),
) -> dict[str, ModelTable]:
    """Models 1-4 and the two moderation models (full controls) of the resilience study.

    ``models`` picks a subset of: model1..model4, moderation_economic,
    moderation_pcr; ``robust`` adds HC1 / school-clustered SEs (see ``fit_ols``).
    """
    specifications = study_a_specifications(frame[cluster_column], instrument, cluster_column)
    chosen = models or list(specifications)
    return {name: fit_ols(frame, outcome, specifications[name], name=name, robust=robust) for name in chosen}


# --------------------------------------------------------------------------
# Study B: school support and depression

STUDY_B_OUTCOME = "dep"


def migration_predictor(instrument: Instrument) -> Predictor:
    """Current parental migration, reference: no parent away."""
    return Predictor("migration_now", "", kind="categorical", levels=dictionary_levels("migration_now", instrument))


def study_b_controls(instrument: Instrument) -> tuple[Predictor, ...]:
    """The depression study's controls; the parents' education levels come from ``instrument``."""
    return (
        indicator("gender", "girl", 2),
        numeric("age", "age"),
        numeric("grade", "grade"),
        indicator("only_child", "only child", 1),
        indicator("ethnicity", "ethnic minority", 2),
        _edu3("mother_edu3", "mother", instrument),
        _edu3("father_edu3", "father", instrument),
    )
SCHOOL_MEASURES: tuple[Predictor, ...] = (
    numeric("belong", "school belonging"),
    numeric("tatt", "teacher's attitude"),
    numeric("tsat", "satisfaction with head teacher"),
    numeric("best_friends", "number of best friends"),
    numeric("closeness", "closeness with classmates"),
    numeric("peer_sat", "satisfaction with peers"),
)


def study_b_columns(instrument: Instrument) -> list[str]:
    """Every source column the Study B models use (for the complete-case sample)."""
    predictors = (migration_predictor(instrument), *study_b_controls(instrument), *SCHOOL_MEASURES)
    return [STUDY_B_OUTCOME] + [code for predictor in predictors for code in predictor.codes]


def study_b_model_names() -> list[str]:
    """The names of ``study_b_specifications``, in their order."""
    return ["model1", "model2", *(f"{kind}_{measure.code}" for measure in SCHOOL_MEASURES for kind in ("main", "interaction"))]


def study_b_specifications(instrument: Instrument) -> dict[str, tuple]:
    """Model 1 (migration), Model 2 (+ controls, the base), then per school measure
    ``main_<code>`` (base + measure) and ``interaction_<code>`` (+ migration x measure)."""
    migration = migration_predictor(instrument)
    base = (migration, *study_b_controls(instrument))
    specifications: dict[str, tuple] = {"model1": (migration,), "model2": base}
    for measure in SCHOOL_MEASURES:
        specifications[f"main_{measure.code}"] = (*base, measure)
        specifications[f"interaction_{measure.code}"] = (*base, measure, Interaction(migration, measure))
    return specifications


def fit_study_b(
    frame: pd.DataFrame, *, instrument: Instrument, outcome: str = STUDY_B_OUTCOME, robust: Sequence[str] = ()
) -> dict[str, ModelTable]:
    """The depression models of ``study_b_specifications``.

    ``frame`` needs the ``tatt`` factor score (see ``reliability.tatt_factor_score``).
    """
    return {
        name: fit_ols(frame, outcome, predictors, name=name, robust=robust)
        for name, predictors in study_b_specifications(instrument).items()
    }
