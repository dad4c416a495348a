"""Propensity score matching: each trajectory cluster against non-migration.

The check of Study A: a logit propensity on a model's covariates (probit as
an option; psmatch2's own default is probit), then the ATT of the cluster by
nearest-neighbour, radius and kernel matching on the propensity score, as
Stata's psmatch2 does them, with balance tables.

Ties: by default nearest-neighbour matching follows psmatch2's ``ties``:
every control as near as the k-th nearest one (within ``TIE_TOLERANCE``, so
that floating-point noise between identical covariate profiles does not
decide) is matched, all sharing the treated's weight equally. ``ties=False``
keeps exactly k neighbours, the tie broken by the lower score, then the data
order. A control no treated reaches has weight exactly 0.

Standard errors are psmatch2's analytical ones for every method:
Var(ATT) = Var(Y | treated on support) / N1 + sum_j w_j^2 Var(Y | matched
controls) / N1^2, with w_j the total matching weight of control j. They
treat the weights as fixed and the outcome as homoskedastic and ignore that
the propensity score is estimated (psmatch2 prints that caveat too). As an
option, bootstrap SEs re-estimate the propensity and the matching on
resamples (treated and controls resampled separately, so each keeps its size).

Matching works on the sorted control scores with np.searchsorted and
prefix sums: no loop over pairs. Plain Python: no Django import.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from analysis.core.models import (
    CLUSTER_COLUMN,
    STUDY_A_OUTCOME,
    Predictor,
    cluster_levels,
    design_matrix,
    to_jsonable,
)

METHODS = ("nearest", "radius", "kernel")
LINKS = ("logit", "probit")
PROPENSITY = "propensity score"
# Two distances closer than this are equal: identical covariate profiles give propensity
# scores equal up to rounding (~1e-16), distinct profiles differ by far more.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class MatchingOptions:
    """psmatch2-like options. ``caliper`` limits nearest-neighbour matches (None: no limit);
    ``radius`` is the caliper of radius matching; ``bandwidth`` that of the Epanechnikov kernel;
    ``ties`` matches every control as near as the k-th neighbour (psmatch2's ``ties``);
    ``link`` is the propensity model; ``bootstrap`` > 0 adds bootstrap SEs from that many
    resamples (seeded by ``seed``)."""

    neighbors: int = 1
    caliper: float | None = None
    radius: float = 0.01
    bandwidth: float = 0.06
    ties: bool = True
    link: str = "logit"
    bootstrap: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.link not in LINKS:
            raise ValueError(f"the propensity link is one of {', '.join(LINKS)}")
        if self.neighbors < 1 or self.bootstrap < 0:
            raise ValueError("neighbors must be at least 1 and bootstrap at least 0")


@dataclass
class Matching:
    """Matching weights: treated on support get 1, controls the sum of their shares."""

    treated_weights: np.ndarray
    control_weights: np.ndarray
    counterfactual: np.ndarray  # matched control outcome per treated (NaN off support)


def nearest_neighbor_matching(treated_scores, control_scores, neighbors: int = 1, caliper: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``neighbors`` nearest controls of each treated, with replacement.

    Returns (indices into ``control_scores``, n_treated x neighbors, -1 where
    no match) and the distances. Ties in distance go to the control with the
    lower score, then the one first in the data.
    """
    order = np.argsort(control_scores, kind="stable")
    ordered = control_scores[order]
    count = len(ordered)
    neighbors = min(neighbors, count)
    right = np.searchsorted(ordered, treated_scores, side="left")
    left = right - 1
    chosen = np.full((len(treated_scores), neighbors), -1)
    distance = np.full((len(treated_scores), neighbors), np.inf)
    for slot in range(neighbors):
        left_distance = np.where(left >= 0, treated_scores - ordered[np.clip(left, 0, count - 1)], np.inf)
        right_distance = np.where(right < count, ordered[np.clip(right, 0, count - 1)] - treated_scores, np.inf)
        take_left = left_distance <= right_distance
        position = np.where(take_left, left, right)
        chosen[:, slot] = order[np.clip(position, 0, count - 1)]
        distance[:, slot] = np.minimum(left_distance, right_distance)
        left = np.where(take_left, left - 1, left)
        right = np.where(take_left, right, right + 1)
    if caliper is not None:
        chosen[distance > caliper] = -1
    return chosen, distance


def _nearest(treated_scores, control_scores, control_outcome, options: MatchingOptions) -> Matching:
    chosen, distance = nearest_neighbor_matching(treated_scores, control_scores, options.neighbors, options.caliper)
    if options.ties:
        # all controls as near as the farthest kept neighbour: a window of that half-width around the treated
        kept = np.where(chosen >= 0, distance, -np.inf).max(axis=1)
        reach = np.where(np.isfinite(kept), kept + TIE_TOLERANCE, np.nan)
        return _window_matching(treated_scores, control_scores, control_outcome, reach)
    matched = chosen >= 0
    matches = matched.sum(axis=1)
    on_support = matches > 0
    share = np.where(matched, 1.0 / np.maximum(matches, 1)[:, None], 0.0)
    control_weights = np.bincount(chosen[matched], weights=share[matched], minlength=len(control_scores))
    outcomes = np.where(matched, control_outcome[np.clip(chosen, 0, None)], 0.0)
    counterfactual = np.where(on_support, (outcomes * share).sum(axis=1), np.nan)
    return Matching(on_support.astype(float), control_weights, counterfactual)


def _radius(treated_scores, control_scores, control_outcome, options: MatchingOptions) -> Matching:
    """Every control within ``radius`` of the treated, equally weighted."""
    reach = np.full(len(treated_scores), float(options.radius))
    return _window_matching(treated_scores, control_scores, control_outcome, reach)


def _window_matching(treated_scores, control_scores, control_outcome, reach) -> Matching:
    """Each treated matched to every control within ``reach`` (its own half-width; NaN: none), equally weighted.

    Control weights are running sums of the treated's shares; a control
    inside no window gets exactly 0 (counted from integer coverage, so that
    no rounding residue of the running sum makes it a matched control).
    """
    order = np.argsort(control_scores, kind="stable")
    ordered, outcome = control_scores[order], control_outcome[order]
    count = len(ordered)
    valid = np.isfinite(reach)
    reach = np.where(valid, reach, 0.0)
    low = np.where(valid, np.searchsorted(ordered, treated_scores - reach, side="left"), 0)
    high = np.where(valid, np.searchsorted(ordered, treated_scores + reach, side="right"), 0)
    matches = high - low
    on_support = matches > 0
    outcome_sums = np.concatenate([[0.0], np.cumsum(outcome)])
    counterfactual = np.where(on_support, (outcome_sums[high] - outcome_sums[low]) / np.maximum(matches, 1), np.nan)
    share = np.where(on_support, 1.0 / np.maximum(matches, 1), 0.0)
    # each treated adds its share to the controls low..high-1: a difference array, then a running sum
    steps = np.bincount(low, weights=share, minlength=count + 1) - np.bincount(high, weights=share, minlength=count + 1)
    coverage = np.cumsum(np.bincount(low[on_support], minlength=count + 1) - np.bincount(high[on_support], minlength=count + 1))
    ordered_weights = np.where(coverage[:count] > 0, np.cumsum(steps)[:count], 0.0)
    control_weights = np.empty_like(ordered_weights)
    control_weights[order] = ordered_weights
    return Matching(on_support.astype(float), control_weights, counterfactual)


def _window_sums(sorted_points, values, low, high, centres, bandwidth):
    """Per window [low, high) of sorted points: sum of values * (1 - ((point - centre)/h)^2).

    Expanded into prefix sums of values, values*point and values*point^2.
    """
    prefix = [np.concatenate([[0.0], np.cumsum(values * sorted_points**power)]) for power in range(3)]
    zero, one, two = (p[high] - p[low] for p in prefix)
    return zero - (two - 2 * centres * one + centres**2 * zero) / bandwidth**2


def _kernel(treated_scores, control_scores, control_outcome, options: MatchingOptions) -> Matching:
    """Epanechnikov kernel weights K(u) = 3/4 (1 - u^2), |u| < 1, u = score difference / bandwidth."""
    bandwidth = options.bandwidth
    centre = np.concatenate([treated_scores, control_scores]).mean()  # centring keeps prefix sums small
    treated_scores, control_scores = treated_scores - centre, control_scores - centre
    order = np.argsort(control_scores, kind="stable")
    ordered, outcome = control_scores[order], control_outcome[order]
    low = np.searchsorted(ordered, treated_scores - bandwidth, side="right")
    high = np.searchsorted(ordered, treated_scores + bandwidth, side="left")
    total_weight = _window_sums(ordered, np.ones_like(ordered), low, high, treated_scores, bandwidth)
    on_support = (high > low) & (total_weight > 0)
    weighted_outcome = _window_sums(ordered, outcome, low, high, treated_scores, bandwidth)
    counterfactual = np.where(on_support, weighted_outcome / np.where(on_support, total_weight, 1.0), np.nan)
    # control j receives sum over treated i in its window of K_ij / W_i
    treated_order = np.argsort(treated_scores, kind="stable")
    treated_sorted = treated_scores[treated_order]
    inverse_weight = np.where(on_support, 1.0 / np.where(on_support, total_weight, 1.0), 0.0)[treated_order]
    t_low = np.searchsorted(treated_sorted, control_scores - bandwidth, side="right")
    t_high = np.searchsorted(treated_sorted, control_scores + bandwidth, side="left")
    reached = np.concatenate([[0], np.cumsum(on_support[treated_order])])  # treated on support, as a prefix count
    control_weights = np.where(
        reached[t_high] - reached[t_low] > 0,
        np.maximum(_window_sums(treated_sorted, inverse_weight, t_low, t_high, control_scores, bandwidth), 0.0),
        0.0,
    )
    return Matching(on_support.astype(float), control_weights, counterfactual)


MATCHERS = {"nearest": _nearest, "radius": _radius, "kernel": _kernel}


@dataclass
class AttEstimate:
    method: str
    att: float
    se: float
    t: float
    p: float  # two-sided, normal approximation
    treated_on_support: int
    treated_off_support: int
    controls_matched: int
    treated_mean: float
    counterfactual_mean: float
    matching: Matching = field(repr=False)
    se_bootstrap: float = float("nan")
    bootstrap_replications: int = 0  # resamples whose propensity and ATT could be estimated


def estimate_att(scores, treated, outcome, method: str = "nearest", options: MatchingOptions | None = None) -> AttEstimate:
    """ATT of ``treated`` (bool array) on ``outcome`` by matching on ``scores``; psmatch2 analytical SE."""
    options = options or MatchingOptions()
    scores, treated, outcome = (np.asarray(a) for a in (scores, treated, outcome))
    treated = treated.astype(bool)
    treated_outcome, control_outcome = outcome[treated].astype(float), outcome[~treated].astype(float)
    matching = MATCHERS[method](scores[treated].astype(float), scores[~treated].astype(float), control_outcome, options)
    on_support = matching.treated_weights > 0
    supported = int(on_support.sum())
    if supported == 0:
        nan = float("nan")
        return AttEstimate(method, nan, nan, nan, nan, 0, int(treated.sum()), 0, nan, nan, matching)
    att = float(np.mean(treated_outcome[on_support] - matching.counterfactual[on_support]))
    matched_controls = matching.control_weights > 0
    treated_variance = np.var(treated_outcome[on_support], ddof=1) if supported > 1 else 0.0
    control_variance = np.var(control_outcome[matched_controls], ddof=1) if matched_controls.sum() > 1 else 0.0
    squared_weights = float(np.sum(matching.control_weights**2))
    se = float(np.sqrt(treated_variance / supported + squared_weights * control_variance / supported**2))
    t = att / se if se > 0 else float("nan")
    return AttEstimate(
        method=method,
        att=att,
        se=se,
        t=t,
        p=float(2 * stats.norm.sf(abs(t))) if np.isfinite(t) else float("nan"),
        treated_on_support=supported,
        treated_off_support=int(len(on_support) - supported),
        controls_matched=int(matched_controls.sum()),
        treated_mean=float(treated_outcome[on_support].mean()),
        counterfactual_mean=float(matching.counterfactual[on_support].mean()),
        matching=matching,
    )


def propensity_scores(covariates: pd.DataFrame, treated, link: str = "logit") -> tuple[np.ndarray, list[str]]:
    """P(treated | covariates) from a logit or probit with a constant (``covariates`` include it).

    Returns the scores and what went wrong on the way (no convergence,
    a singular Hessian, overflow): statsmodels' warnings, captured as text,
    never printed.
    """
    model = (sm.Logit if link == "logit" else sm.Probit)(np.asarray(treated, dtype=float), covariates.to_numpy(dtype=float))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            fit = model.fit(disp=0, maxiter=200, tol=1e-12)
            scores = np.asarray(fit.predict(covariates.to_numpy(dtype=float)))
    kinds = {type(w.message).__name__ for w in caught}
    problems = []
    if not fit.mle_retvals.get("converged", True) or "ConvergenceWarning" in kinds:
        separation = " (perfect separation)" if "PerfectSeparationWarning" in kinds else ""
        problems.append(f"the {link} did not converge in {fit.mle_retvals.get('iterations', '?')} iterations{separation}")
    elif "PerfectSeparationWarning" in kinds:
        problems.append(f"the {link} found perfect separation")
    others = (w for w in caught if type(w.message).__name__ not in ("ConvergenceWarning", "PerfectSeparationWarning"))
    problems += list(dict.fromkeys(f"{type(w.message).__name__}: {w.message}" for w in others))
    return scores, problems


def _weighted_mean_var(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted mean and variance with Stata aweight scaling (n/(n-1) over positive weights)."""
    used = weights > 0
    values, weights = values[used], weights[used]
    if len(values) == 0:
        return float("nan"), float("nan")
    mean = np.average(values, weights=weights)
    count = len(values)
    variance = np.average((values - mean) ** 2, weights=weights) * count / (count - 1) if count > 1 else float("nan")
    return float(mean), float(variance)


def balance_table(covariates: pd.DataFrame, treated: np.ndarray, matching: Matching) -> pd.DataFrame:
    """Means, standardised mean differences and variance ratios before and after matching.

    The SMD divides by the pooled SD of the unmatched samples (sqrt of the
    mean of the two variances) before and after, as psmatch2's pstest does,
    so the two are comparable.
    """
    rows = []
    weights_treated, weights_control = matching.treated_weights, matching.control_weights
    for column in covariates.columns:
        values = covariates[column].to_numpy(dtype=float)
        x_treated, x_control = values[treated], values[~treated]
        before_t, var_t = _weighted_mean_var(x_treated, np.ones_like(x_treated))
        before_c, var_c = _weighted_mean_var(x_control, np.ones_like(x_control))
        after_t, var_t_after = _weighted_mean_var(x_treated, weights_treated)
        after_c, var_c_after = _weighted_mean_var(x_control, weights_control)
        pooled = np.sqrt((var_t + var_c) / 2)
        rows.append(
            {
                "covariate": column,
                "mean_treated_before": before_t,
                "mean_control_before": before_c,
                "smd_before": (before_t - before_c) / pooled if pooled > 0 else np.nan,
                "variance_ratio_before": var_t / var_c if var_c > 0 else np.nan,
                "mean_treated_after": after_t,
                "mean_control_after": after_c,
                "smd_after": (after_t - after_c) / pooled if pooled > 0 else np.nan,
                "variance_ratio_after": var_t_after / var_c_after if var_c_after > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass
class GroupComparison:
    """One treated group against the reference group under one covariate set."""

    treated_label: str
    control_label: str
    covariate_set: str
    n_treated: int
    n_controls: int
    unmatched_difference: float
    unmatched_se: float
    estimates: dict[str, AttEstimate]
    balance: dict[str, pd.DataFrame]  # method -> balance table
    link: str = "logit"
    ties: bool = True
    notes: list[str] = field(default_factory=list)  # convergence and other warnings of the propensity fits

    def rows(self) -> list[dict]:
        return [
            {
                "treated": self.treated_label,
                "control": self.control_label,
                "covariate_set": self.covariate_set,
                "method": method,
                "att": estimate.att,
                "se": estimate.se,
                "se_bootstrap": estimate.se_bootstrap,
                "bootstrap_replications": estimate.bootstrap_replications,
                "t": estimate.t,
                "p": estimate.p,
                "n_treated": self.n_treated,
                "n_controls": self.n_controls,
                "treated_on_support": estimate.treated_on_support,
                "treated_off_support": estimate.treated_off_support,
                "controls_matched": estimate.controls_matched,
                "unmatched_difference": self.unmatched_difference,
                "unmatched_se": self.unmatched_se,
                "link": self.link,
                "ties": self.ties,
            }
            for method, estimate in self.estimates.items()
        ]


def compare_groups(
    frame: pd.DataFrame,
    treated_mask: pd.Series,
    control_mask: pd.Series,
    covariates: Sequence[Predictor],
    *,
    outcome: str = STUDY_A_OUTCOME,
    methods: Sequence[str] = METHODS,
    options: MatchingOptions | None = None,
    labels: tuple[str, str] = ("treated", "control"),
    covariate_set: str = "",
) -> GroupComparison:
    """Propensity on the covariates (rows complete on them and the outcome), then the ATT per method."""
    options = options or MatchingOptions()
    sample = frame[treated_mask | control_mask]
    design = design_matrix(sample, covariates)
    response = pd.to_numeric(sample[outcome], errors="coerce")
    complete = design.notna().all(axis=1) & response.notna()
    design, response = design[complete], response[complete].to_numpy(dtype=float)
    treated = treated_mask.reindex(design.index).to_numpy(dtype=bool)
    if treated.all() or not treated.any():
        raise ValueError(f"{int(treated.sum())} treated and {int((~treated).sum())} controls with complete data")
    scores, notes = propensity_scores(design, treated, options.link)
    balance_covariates = design.drop(columns=design.columns[0]).assign(**{PROPENSITY: scores})
    estimates, balance = {}, {}
    for method in methods:
        estimate = estimate_att(scores, treated, response, method, options)
        estimates[method] = estimate
        balance[method] = balance_table(balance_covariates, treated, estimate.matching)
    if options.bootstrap:
        notes += _bootstrap(design, treated, response, methods, options, estimates)
    ttest = stats.ttest_ind(response[treated], response[~treated])  # pooled variance, as psmatch2's "Unmatched" row
    difference = float(response[treated].mean() - response[~treated].mean())
    return GroupComparison(
        treated_label=labels[0],
        control_label=labels[1],
        covariate_set=covariate_set,
        n_treated=int(treated.sum()),
        n_controls=int((~treated).sum()),
        unmatched_difference=difference,
        unmatched_se=float(difference / ttest.statistic) if ttest.statistic else float("nan"),
        estimates=estimates,
        balance=balance,
        link=options.link,
        ties=options.ties,
        notes=notes,
    )


def _bootstrap(design, treated, response, methods, options: MatchingOptions, estimates: dict[str, AttEstimate]) -> list[str]:
    """Bootstrap SEs into ``estimates``: treated and controls resampled separately, propensity re-fitted each time.

    Returns notes on the resamples that could not be used (a propensity fit that failed or did not converge).
    """
    rng = np.random.default_rng(options.seed)
    treated_rows, control_rows = np.flatnonzero(treated), np.flatnonzero(~treated)
    values = design.to_numpy(dtype=float)
    draws: dict[str, list[float]] = {method: [] for method in methods}
    skipped = 0
    for _ in range(options.bootstrap):
        rows = np.concatenate(
            [rng.choice(treated_rows, len(treated_rows)), rng.choice(control_rows, len(control_rows))]
        )
        try:
            scores, problems = propensity_scores(pd.DataFrame(values[rows]), treated[rows], options.link)
        except (np.linalg.LinAlgError, PerfectSeparationError, ValueError):
            problems = ["failed"]
        if problems:
            skipped += 1
            continue
        for method in methods:
            att = estimate_att(scores, treated[rows], response[rows], method, options).att
            if np.isfinite(att):
                draws[method].append(att)
    for method, atts in draws.items():
        estimates[method].bootstrap_replications = len(atts)
        estimates[method].se_bootstrap = float(np.std(atts, ddof=1)) if len(atts) > 1 else float("nan")
    return [f"bootstrap: {skipped} of {options.bootstrap} resamples dropped (propensity fit failed or did not converge)"] if skipped else []


@dataclass
class PsmResult:
    """Every cluster-vs-reference comparison for every covariate set."""

    comparisons: list[GroupComparison]
    failures: list[dict] = field(default_factory=list)  # comparisons whose propensity could not be fitted
    options: MatchingOptions = field(default_factory=MatchingOptions)

    @property
    def notes(self) -> list[str]:
        """One line per comparison whose propensity fit warned, and per comparison that failed."""
        lines = [
            f"PSM {comparison.treated_label} ({comparison.covariate_set}): {note}"
            for comparison in self.comparisons
            for note in comparison.notes
        ]
        return lines + [f"PSM {f['treated']} ({f['covariate_set']}) failed: {f['error']}" for f in self.failures]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([row for comparison in self.comparisons for row in comparison.rows()])

    def balance_frame(self) -> pd.DataFrame:
        parts = [
            table.assign(
                treated=comparison.treated_label, covariate_set=comparison.covariate_set, method=method
            )
            for comparison in self.comparisons
            for method, table in comparison.balance.items()
        ]
        if not parts:
            return pd.DataFrame()
        balance = pd.concat(parts, ignore_index=True)
        leading = ["treated", "covariate_set", "method"]
        return balance[leading + [c for c in balance.columns if c not in leading]]

    def to_dict(self) -> dict:
        return {
            "estimates": to_jsonable(self.to_frame()),
            "balance": to_jsonable(self.balance_frame()),
            "failures": to_jsonable(self.failures),
            "notes": self.notes,
            "options": to_jsonable(dataclasses.asdict(self.options)),
            "standard_errors": "psmatch2 analytical SE: fixed weights, homoskedastic, propensity treated as known"
            + (f"; bootstrap SE from {self.options.bootstrap} resamples" if self.options.bootstrap else ""),
        }


def psm_by_cluster(
    frame: pd.DataFrame,
    covariate_sets: dict[str, Sequence[Predictor]],
    *,
    cluster_column: str = CLUSTER_COLUMN,
    outcome: str = STUDY_A_OUTCOME,
    methods: Sequence[str] = METHODS,
    options: MatchingOptions | None = None,
) -> PsmResult:
    """Each cluster against the reference cluster (non-migration), separately, per covariate set."""
    levels = [name for name, _ in cluster_levels(frame[cluster_column])]
    reference, others = levels[0], levels[1:]
    control_mask = frame[cluster_column] == reference
    comparisons, failures = [], []
    for set_name, covariates in covariate_sets.items():
        for cluster in others:
            try:
                comparisons.append(
                    compare_groups(
                        frame,
                        frame[cluster_column] == cluster,
                        control_mask,
                        covariates,
                        outcome=outcome,
                        methods=methods,
                        options=options,
                        labels=(cluster, reference),
                        covariate_set=set_name,
                    )
                )
            except (np.linalg.LinAlgError, PerfectSeparationError, ValueError) as error:  # tiny or separated group
                failures.append({"treated": cluster, "covariate_set": set_name, "error": str(error) or type(error).__name__})
    return PsmResult(comparisons, failures, options or MatchingOptions())
