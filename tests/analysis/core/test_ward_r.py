"""Ward against R itself: ``hclust`` on the FULL N x N matrix of generated cohorts, both methods,
``cutree`` at every k = 2..10, against ``ward_tree`` on the distinct sequences with their counts."""

import numpy as np
import pytest

from analysis.core.quality import adjusted_rand_index
from analysis.core.ward import ward_tree
from tests.analysis.core.cohorts import analytic_cohort, identical_groups_cohort, same_partition, write_full_distances
from tests.rscript import require_r, run_r

pytestmark = pytest.mark.slow

METHODS = ("ward.D", "ward.D2")
KS = range(2, 11)
COHORTS = {
    "wave3600-seed101": lambda: analytic_cohort(3600, 101),  # 3,085 analytic rows
    "wave6000-seed202": lambda: analytic_cohort(6000, 202),  # 5,190
    "wave8453-seed1": lambda: analytic_cohort(8453, 1),  # 7,279 (the former closed form is not R here)
    "wave9800-seed303": lambda: analytic_cohort(9800, 303),  # 8,455
    "groups6000x150-seed404": lambda: identical_groups_cohort(6000, 150, 404),  # large groups of identical rows
}

HCLUST_SCRIPT = """
n <- {n}L
x <- readBin("{path}", what = "double", n = n * (n - 1) / 2, size = 8, endian = "little")
stopifnot(length(x) == n * (n - 1) / 2)
d <- structure(x, Size = n, Diag = FALSE, Upper = FALSE, method = "OM", class = "dist")
rm(x)
cuts <- do.call(cbind, lapply(c("ward.D", "ward.D2"), function(m) cutree(hclust(d, method = m), k = 2:10)))
write.table(cuts, "cuts.csv", sep = ",", row.names = FALSE, col.names = FALSE)
writeLines(R.version.string, "version.txt")
"""


@pytest.fixture(scope="module", params=list(COHORTS))
def r_cuts(request, tmp_path_factory):
    require_r()
    cohort = COHORTS[request.param]()
    path = tmp_path_factory.mktemp("hclust") / "distances.bin"
    write_full_distances(cohort, path)
    folder = run_r(HCLUST_SCRIPT.format(n=cohort.n_rows, path=path))
    path.unlink()
    cuts = np.loadtxt(folder / "cuts.csv", delimiter=",", dtype=np.int64)
    return cohort, {method: cuts[:, 9 * m : 9 * (m + 1)] for m, method in enumerate(METHODS)}


@pytest.mark.parametrize("method", METHODS)
def test_ward_on_distinct_sequences_equals_hclust_on_the_full_matrix(r_cuts, method):
    cohort, cuts = r_cuts
    distinct = cohort.distinct
    assert cohort.n_rows > distinct.n_distinct  # identical rows to merge at height 0
    tree = ward_tree(cohort.condensed, distinct.weights, method)
    for column, k in enumerate(KS):
        ours = tree.cut(k)[distinct.inverse]
        assert same_partition(ours, cuts[method][:, column]), (method, k)
        assert adjusted_rand_index(ours, cuts[method][:, column]) == 1.0
