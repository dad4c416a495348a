"""Silhouette against R's ``cluster::silhouette`` and Hubert's Gamma / Somers' D against an R
transcription of WeightedCluster's formula, both on the full data; ours on the distinct
sequences with counts as weights (and on the full data with unit weights)."""

import numpy as np
import pytest

from analysis.core.costs import default_indel, resolve_costs
from analysis.core.distances import om_distances, square_form
from analysis.core.quality import cluster_quality
from analysis.core.trajectories import TrajectoryParams, cluster_trajectories
from analysis.core.ward import ward_tree
from tests.analysis.core.cohorts import analytic_cohort, write_full_distances
from tests.rscript import require_r, run_r

pytestmark = pytest.mark.slow

# Per partition (columns of labels.csv, one row per data row): the mean silhouette width of
# cluster::silhouette, and Hubert's Gamma and Somers' D as WeightedCluster's clusterquality
# computes them (every pair i < j with weight 2, the diagonal with weight 1 at distance 0,
# grouped by exactly equal distances), on the full data.
QUALITY_SCRIPT = """
suppressPackageStartupMessages(library(cluster))
n <- {n}L
d <- structure(readBin("{path}", what = "double", n = n * (n - 1) / 2, size = 8, endian = "little"),
               Size = n, Diag = FALSE, Upper = FALSE, class = "dist")
labels <- as.matrix(read.csv("labels.csv", header = FALSE))
x <- c(as.vector(d), rep(0, n))
w <- c(rep(2, length(d)), rep(1, n))
values <- sort(unique(x))
code <- match(x, values)
out <- t(apply(labels, 2, function(cl) {{
  asw <- mean(silhouette(as.integer(cl), d)[, "sil_width"])
  same <- c(as.vector(dist(cl)) == 0, rep(TRUE, n))
  c0 <- as.vector(rowsum(w * same, code, reorder = TRUE))
  c1 <- as.vector(rowsum(w * !same, code, reorder = TRUE))
  below0 <- cumsum(c0) - c0; below1 <- cumsum(c1) - c1
  nc <- sum(c1 * below0 + c0 * (sum(c1) - below1 - c1))
  nd <- sum(c0 * below1 + c1 * (sum(c0) - below0 - c0))
  c(asw, (nc - nd) / (nc + nd), (nc - nd) / (nc + nd + sum(c0 * c1)))
}}))
write.table(format(out, digits = 17), "quality.csv", sep = ",", quote = FALSE, row.names = FALSE, col.names = FALSE)
"""


def partitions_with_singletons(cohort):
    """Ward cuts at k = 2..10 of the distinct sequences, plus k = 10 with three sequences seen once
    moved to clusters of their own (one-row clusters) and the most frequent sequence alone (a
    cluster of identical rows)."""
    distinct = cohort.distinct
    tree = ward_tree(cohort.condensed, distinct.weights, "ward.D")
    partitions = {k: tree.cut(k) for k in range(2, 11)}
    special = tree.cut(10).copy()
    once = np.nonzero(distinct.weights == 1)[0][:3]
    special[once] = 10 + np.arange(3)
    special[np.argmax(distinct.weights)] = 13
    partitions[14] = special
    return partitions


@pytest.fixture(scope="module")
def r_quality(tmp_path_factory):
    require_r("cluster")
    cohort = analytic_cohort(2500, 505)
    partitions = partitions_with_singletons(cohort)
    labels = np.column_stack([partitions[k][cohort.distinct.inverse] + 1 for k in partitions])
    path = tmp_path_factory.mktemp("quality") / "distances.bin"
    write_full_distances(cohort, path)
    folder = run_r(QUALITY_SCRIPT.format(n=cohort.n_rows, path=path), {"labels": labels})
    expected = np.loadtxt(folder / "quality.csv", delimiter=",")
    return cohort, partitions, dict(zip(partitions, expected))


def test_partitions_hold_one_row_clusters(r_quality):
    cohort, partitions, _ = r_quality
    sizes = np.bincount(partitions[14], weights=cohort.distinct.weights)
    assert np.sum(sizes == 1) == 3 and cohort.distinct.weights.max() in sizes


def test_weighted_quality_equals_r_on_the_full_data(r_quality):
    cohort, partitions, expected = r_quality
    quality = cluster_quality(cohort.condensed, cohort.distinct.weights, partitions)
    for k, (asw, hg, hgsd) in expected.items():
        assert quality.loc[k, "ASW"] == pytest.approx(asw, rel=1e-10), k
        assert quality.loc[k, "HG"] == pytest.approx(hg, rel=1e-10), k
        assert quality.loc[k, "HGSD"] == pytest.approx(hgsd, rel=1e-10), k


def test_unweighted_quality_on_the_full_data_equals_r(r_quality):
    cohort, partitions, expected = r_quality
    inverse = cohort.distinct.inverse
    full = square_form(cohort.condensed)[np.ix_(inverse, inverse)][np.triu_indices(inverse.size, 1)]
    quality = cluster_quality(full, np.ones(inverse.size), {k: labels[inverse] for k, labels in partitions.items()})
    for k, (asw, hg, hgsd) in expected.items():
        assert quality.loc[k, "ASW"] == pytest.approx(asw, rel=1e-10), k
        assert quality.loc[k, "HG"] == pytest.approx(hg, rel=1e-10), k
        assert quality.loc[k, "HGSD"] == pytest.approx(hgsd, rel=1e-10), k


CHOICE_SCRIPT = """
suppressPackageStartupMessages(library(cluster))
d <- as.dist(as.matrix(read.csv("distances.csv", header = FALSE)))
tree <- hclust(d, method = "ward.D")
asw <- sapply(2:10, function(k) mean(silhouette(cutree(tree, k = k), d)[, "sil_width"]))
writeLines(format(asw, digits = 17), "asw.txt")
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_k_chosen_on_a_small_wave_is_rs_best_silhouette(seed):
    # 30 analytic rows: cuts at k = 9 or 10 leave one-row clusters, which no longer score 1
    require_r("cluster")
    cohort = analytic_cohort(3000, 606)
    rows = np.random.default_rng(seed).choice(cohort.n_rows, size=30, replace=False)
    sequences = cohort.sequences[rows]
    result = cluster_trajectories(sequences, TrajectoryParams(costs="CONSTANT", algorithm="exact"))
    distinct = result.n_distinct
    assert distinct > 10
    costs = resolve_costs("CONSTANT", sequences, np.ones(30))
    full = square_form(om_distances(sequences, costs, default_indel(costs)))
    folder = run_r(CHOICE_SCRIPT, {"distances": full})
    r_asw = np.loadtxt(folder / "asw.txt")
    np.testing.assert_allclose(result.quality["ASW"].to_numpy(), r_asw, rtol=1e-10)
    assert result.k == 2 + int(np.argmax(r_asw))
