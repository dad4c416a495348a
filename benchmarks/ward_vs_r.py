"""Ward on distinct sequences against R's ``hclust`` on the full N x N matrix: ARI per k.

The cohorts of ``tests/analysis/core/test_ward_r.py`` (generated waves and one of large groups of
identical rows); for each, both methods, k = 2..10: the adjusted Rand index of R's ``cutree``
against ours (the replay of the height-0 merges) and against the former closed-form start
(``hclust(members = w)`` on 2 w_a w_b / (w_a + w_b) d), and the rows in another cluster.
Needs R (``Rscript``). No assertion: figures for the record (the tests assert).

    .venv/bin/python benchmarks/ward_vs_r.py
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def closed_form_cut(cohort, method, k):
    from analysis.core.ward import WardTree, _agglomerate, _first_neighbours

    weights = cohort.distinct.weights
    u = weights.size
    rows, cols = np.triu_indices(u, 1)
    factor = 2 * weights[rows] * weights[cols] / (weights[rows] + weights[cols])
    start = factor * cohort.condensed**2 if method == "ward.D2" else factor * cohort.condensed
    nearest, nearest_dist = _first_neighbours(start, u)
    first, second, heights = _agglomerate(start, weights.copy(), nearest, nearest_dist, method == "ward.D2")
    return WardTree(first, second, heights, method).cut(k)


def main() -> None:
    from analysis.core.quality import adjusted_rand_index
    from analysis.core.ward import ward_tree
    from tests.analysis.core.cohorts import write_full_distances
    from tests.analysis.core.test_ward_r import COHORTS, HCLUST_SCRIPT, KS, METHODS
    from tests.rscript import run_r

    for name, make in COHORTS.items():
        cohort = make()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "distances.bin"
            write_full_distances(cohort, path)
            output = run_r(HCLUST_SCRIPT.format(n=cohort.n_rows, path=path))
        cuts = np.loadtxt(output / "cuts.csv", delimiter=",", dtype=np.int64)
        version = (output / "version.txt").read_text().strip()
        print(f"{name}: N = {cohort.n_rows:,} rows, U = {cohort.distinct.n_distinct:,} distinct ({version})")
        inverse = cohort.distinct.inverse
        for m, method in enumerate(METHODS):
            tree = ward_tree(cohort.condensed, cohort.distinct.weights, method)
            ours, closed, moved = [], [], []
            for column, k in enumerate(KS):
                r = cuts[:, 9 * m + column]
                ours.append(adjusted_rand_index(tree.cut(k)[inverse], r))
                former = closed_form_cut(cohort, method, k)[inverse]
                closed.append(adjusted_rand_index(former, r))
                table = np.zeros((k, k), dtype=np.int64)
                np.add.at(table, (np.unique(former, return_inverse=True)[1], r - 1), 1)
                moved.append(cohort.n_rows - int(table.max(axis=1).sum()) if closed[-1] < 1 else 0)
            print(f"  {method:8s} replay ARI k=2..10: {' '.join(f'{a:.4f}' for a in ours)}")
            print(f"  {'':8s} closed  ARI k=2..10: {' '.join(f'{a:.4f}' for a in closed)}  (rows moved: {moved})")


if __name__ == "__main__":
    main()
