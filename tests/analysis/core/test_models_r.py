"""Every OLS model of both studies against R's ``lm``, with sandwich's HC1 and school-clustered SEs.

R builds its own design from the data (``factor``, ``I()``, ``:``) with its
listwise deletion; the test compares coefficients (relative to the larger of
the coefficient and its SE), classical, HC1 and clustered SEs (relative) and
the clustered p-values (absolute) term by term, on generated cohorts of a few
thousand rows with some answers blanked.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.core.models import fit_study_a, fit_study_b
from scoring.instrument import default_instrument
from tests.analysis.core.cohort_frames import analytic_cohort
from tests.rscript import require_r, run_r

INSTRUMENT = default_instrument()  # the current version of the data dictionary

TOLERANCE = 1e-10  # relative
COLUMNS = [
    "rsca", "dep", "traj_label", "school_code", "gender", "hukou", "age", "grade", "ethnicity", "only_child",
    "academic_rank", "health_good", "father_edu3", "mother_edu3", "parents_relation", "boarding",
    "classmate_friendly", "neighbor_relation", "family_econ", "pcr", "migration_now", "belong", "tatt", "tsat",
    "best_friends", "closeness", "peer_sat",
]

R_MODELS = r"""
suppressPackageStartupMessages({library(sandwich); library(lmtest)})
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$cl <- factor(d$traj_label, levels = c("non-migration", "migration", "left-behind by single parent",
                                         "left-behind by both parents", "transition"))
d$fe <- factor(d$father_edu3, levels = 1:3)
d$me <- factor(d$mother_edu3, levels = 1:3)
d$mig <- factor(d$migration_now, levels = 0:3)
a <- "I(gender == 2) + I(hukou == 2) + age + I(only_child == 0) + academic_rank + I(health_good == 1) + fe + me +
      parents_relation + I(boarding == 0) + I(classmate_friendly == 1) + neighbor_relation"
b <- "mig + I(gender == 2) + age + grade + I(only_child == 1) + I(ethnicity == 2) + me + fe"
f <- list(
  a_model1 = "rsca ~ cl",
  a_model2 = paste("rsca ~ cl +", a),
  a_model3 = paste("rsca ~ cl +", a, "+ family_econ"),
  a_model4 = paste("rsca ~ cl +", a, "+ family_econ + pcr"),
  a_moderation_economic = paste("rsca ~ cl +", a, "+ family_econ + pcr + cl:family_econ"),
  a_moderation_pcr = paste("rsca ~ cl +", a, "+ family_econ + pcr + cl:pcr"),
  b_model1 = "dep ~ mig",
  b_model2 = paste("dep ~", b)
)
for (m in c("belong", "tatt", "tsat", "best_friends", "closeness", "peer_sat")) {
  f[[paste0("b_main_", m)]] <- paste("dep ~", b, "+", m)
  f[[paste0("b_interaction_", m)]] <- paste("dep ~", b, "+", m, "+ mig:", m)
}
out <- NULL
for (name in names(f)) {
  fit <- lm(as.formula(f[[name]]), data = d)
  keep <- !is.na(coef(fit))
  clustered <- vcovCL(fit, cluster = ~school_code)
  out <- rbind(out, data.frame(
    model = name, position = seq_len(sum(keep)), n = nobs(fit),
    coef = sprintf("%.17g", coef(fit)[keep]),
    se = sprintf("%.17g", sqrt(diag(vcov(fit)))),
    se_HC1 = sprintf("%.17g", sqrt(diag(vcovHC(fit, type = "HC1")))),
    se_cluster = sprintf("%.17g", sqrt(diag(clustered))),
    p_cluster = sprintf("%.17g", coeftest(fit, vcov = clustered)[, 4])
  ))
}
write.csv(out, "out.csv", row.names = FALSE)
"""


def blanked(frame: pd.DataFrame) -> pd.DataFrame:
    """Some answers missing, so that listwise deletion differs between models."""
    frame = frame[COLUMNS].copy()
    positions = np.arange(len(frame))
    for column, every in (("parents_relation", 37), ("pcr", 41), ("dep", 53), ("peer_sat", 29), ("rsca", 61)):
        frame.loc[positions % every == 3, column] = np.nan
    return frame


def python_models(frame: pd.DataFrame) -> dict:
    robust = ("HC1", "cluster")
    tables = {f"a_{name}": table for name, table in fit_study_a(frame, instrument=INSTRUMENT, robust=robust).items()}
    tables.update({f"b_{name}": table for name, table in fit_study_b(frame, instrument=INSTRUMENT, robust=robust).items()})
    return tables


def relative_difference(ours: np.ndarray, theirs: np.ndarray, scale: np.ndarray | None = None) -> float:
    """Largest |ours - theirs| relative to |theirs| (or to ``scale`` where that is larger)."""
    scale = np.abs(theirs) if scale is None else np.maximum(np.abs(theirs), scale)
    return float(np.max(np.abs(ours - theirs) / np.maximum(scale, 1e-300)))


@pytest.mark.parametrize(("n", "seed"), [(3000, 11), (5000, 12)])
def test_every_model_equals_r_lm_with_sandwich_standard_errors(n, seed):
    require_r("sandwich", "lmtest")
    frame = blanked(analytic_cohort(n, seed))
    folder = run_r(R_MODELS, {"data": frame})
    expected = pd.read_csv(folder / "out.csv")
    tables = python_models(frame)
    assert set(expected["model"]) == set(tables)
    worst = {}
    for name, table in tables.items():
        theirs = expected[expected["model"] == name]
        assert table.n == theirs["n"].iloc[0], name
        assert len(table.terms) == len(theirs), name
        for column in ("coef", "se", "se_HC1", "se_cluster", "p_cluster"):
            # a coefficient near zero is compared on the scale of its SE; a p-value absolutely
            scale = {"coef": theirs["se"].to_numpy(dtype=float), "p_cluster": np.ones(len(theirs))}.get(column)
            difference = relative_difference(table.terms[column].to_numpy(), theirs[column].to_numpy(dtype=float), scale)
            family = f"{name[:2]}{column}"
            worst[family] = max(worst.get(family, 0.0), difference)
            assert difference < TOLERANCE, (name, column, difference)
    assert tables["a_model4"].robust["cluster"]["clusters"] == frame["school_code"].nunique()
    print(f"\nN={n} seed={seed} rows={len(frame)} max relative |diff| vs R:", {k: f"{v:.1e}" for k, v in worst.items()})
