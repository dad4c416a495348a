"""Propensity scores against R's ``glm`` (logit and probit) and the ATTs against psmatch2's definitions in base R.

Each cluster of a generated cohort is compared with non-migration under the
Model 4 covariates. R fits the propensity itself (``glm``, then more
scoring steps to full precision), then matches on its own scores with a few lines that follow
psmatch2: nearest neighbour with ``ties`` (every control as near as the
nearest shares the weight), radius, Epanechnikov kernel, and psmatch2's
analytical SE. Covariate profiles repeat in these cohorts, so many treated
children have several equally near controls.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.core.models import CLUSTER_REFERENCE, design_matrix, study_a_controls, study_a_covariate_sets
from analysis.core.psm import METHODS, MatchingOptions, compare_groups, propensity_scores
from scoring.instrument import default_instrument
from tests.analysis.core.cohort_frames import analytic_cohort
from tests.rscript import require_r, run_r

INSTRUMENT = default_instrument()  # the current version of the data dictionary

R_MATCHING = r"""
d <- read.csv("design.csv", check.names = FALSE)
treated <- d$treated; y <- d$y
x <- as.matrix(d[, setdiff(names(d), c("treated", "y", "constant"))])
link <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(link)) link <- LINK
fit <- glm(treated ~ x, family = binomial(link = link), control = glm.control(epsilon = 1e-15, maxit = 100))
# Fisher scoring stops on the deviance; a few more unconditional steps take the coefficients to full precision
X <- model.matrix(fit)[, !is.na(coef(fit)), drop = FALSE]
b <- coef(fit)[!is.na(coef(fit))]
family <- binomial(link = link)
for (i in 1:25) {
  eta <- drop(X %*% b); mu <- family$linkinv(eta); slope <- family$mu.eta(eta)
  w <- slope^2 / (mu * (1 - mu))
  b <- drop(solve(crossprod(X, w * X), crossprod(X, w * (eta + (treated - mu) / slope))))
}
ps <- family$linkinv(drop(X %*% b))
pt <- ps[treated == 1]; pc <- ps[treated == 0]; yt <- y[treated == 1]; yc <- y[treated == 0]
distance <- abs(outer(pt, pc, "-"))
weights <- list(
  nearest = 1 * (distance <= apply(distance, 1, min) + 1e-12),   # psmatch2 ties
  radius = 1 * (distance <= 0.01),
  kernel = ifelse(distance / 0.06 < 1, 1 - (distance / 0.06)^2, 0)
)
out <- NULL
for (method in names(weights)) {
  k <- weights[[method]]
  support <- rowSums(k) > 0
  w <- k[support, , drop = FALSE] / rowSums(k[support, , drop = FALSE])
  att <- mean(yt[support] - w %*% yc)
  cw <- colSums(w)
  se <- sqrt(var(yt[support]) / sum(support) + sum(cw^2) * var(yc[cw > 0]) / sum(support)^2)
  out <- rbind(out, data.frame(method = method, att = sprintf("%.17g", att), se = sprintf("%.17g", se),
                               on_support = sum(support), controls_matched = sum(cw > 0),
                               tied = sum(rowSums(weights$nearest) > 1)))
}
write.csv(out, "att.csv", row.names = FALSE)
writeLines(sprintf("%.17g", ps), "ps.txt")
"""


# Five indicators only: few covariate profiles, so most treated have many equally near controls.
COARSE = tuple(p for p in study_a_controls(INSTRUMENT) if p.kind == "indicator")[:5]


def comparison_data(frame: pd.DataFrame, treated_label: str, covariate_set: str):
    sample = frame[frame["traj_label"].isin([treated_label, CLUSTER_REFERENCE])]
    covariates = COARSE if covariate_set == "coarse" else study_a_covariate_sets(INSTRUMENT)[covariate_set]
    design = design_matrix(sample, covariates).assign(
        treated=(sample["traj_label"] == treated_label).astype(int), y=sample["rsca"]
    )
    return sample, covariates, design


@pytest.mark.parametrize("link", ["logit", "probit"])
@pytest.mark.parametrize(("n", "seed", "covariate_set"), [(3000, 21, "model4"), (5000, 22, "model4"), (3000, 23, "coarse")])
def test_propensity_and_att_equal_r(n, seed, covariate_set, link):
    require_r()
    frame = analytic_cohort(n, seed)
    worst = {"propensity": 0.0, **{f"{method} {what}": 0.0 for method in METHODS for what in ("att", "se")}}
    tied = {}
    for treated_label in ("migration", "left-behind by single parent", "left-behind by both parents", "transition"):
        sample, covariates, design = comparison_data(frame, treated_label, covariate_set)
        folder = run_r(R_MATCHING.replace("LINK", f'"{link}"'), {"design": design})
        expected = pd.read_csv(folder / "att.csv").set_index("method")
        r_scores = np.loadtxt(folder / "ps.txt")
        scores, problems = propensity_scores(design.drop(columns=["treated", "y"]), design["treated"], link)
        assert not problems
        worst["propensity"] = max(worst["propensity"], float(np.max(np.abs(scores - r_scores) / r_scores)))
        comparison = compare_groups(
            sample,
            sample["traj_label"] == treated_label,
            sample["traj_label"] == CLUSTER_REFERENCE,
            covariates,
            options=MatchingOptions(link=link),
        )
        for method, estimate in comparison.estimates.items():
            theirs = expected.loc[method]
            assert estimate.treated_on_support == theirs["on_support"], (treated_label, method)
            assert estimate.controls_matched == theirs["controls_matched"], (treated_label, method)
            for what in ("att", "se"):
                difference = abs(getattr(estimate, what) - float(theirs[what]))
                worst[f"{method} {what}"] = max(worst[f"{method} {what}"], difference)
        tied[treated_label] = int(expected["tied"].iloc[0])
    assert worst["propensity"] < 1e-10
    assert max(worst.values()) < 1e-9, worst
    assert sum(tied.values()) > 0  # the cohort has treated children with several equally near controls
    print(f"\nN={n} seed={seed} {covariate_set} {link}: treated with tied nearest controls {tied}; max |diff| vs R:",
          {k: f"{v:.1e}" for k, v in worst.items()})
