"""Benchmark of trajectory clustering: OM distances + Ward + quality for k = 2..10, against sequenzo.

    .venv/bin/python benchmarks/bench_trajectories.py                      # 8,453 and 100,000 respondents
    .venv/bin/python benchmarks/bench_trajectories.py --n 8453 --clara-n 1000000
    .venv/bin/python benchmarks/bench_trajectories.py --sequenzo-python /tmp/sequenzo-venv/bin/python
    .venv/bin/python benchmarks/bench_trajectories.py --n 100000 --distances-only   # OM pairs a second only

Sequences come from a simple generator (half constant non-migration, mostly-one-status
sequences with short spells, Markov switching): about 2,550 distinct sequences at
8,453 respondents, 18,300 at 100,000 and 93,000 at 1,000,000, as in the Study A issue.

Every engine runs in a subprocess of its own and reports its seconds per stage and
its peak resident memory (ru_maxrss). Ours: distinct sequences with counts, TRATE,
OM, weighted Ward, quality (the exact path; ``--clara-n`` also times the CLARA path
through ``cluster_trajectories``). sequenzo 0.1.42 (benchmarks/requirements.txt, in
a venv of its own because it needs scipy < 1.17) gets the distinct sequences with
their counts as weights: its condensed output always covers every input row, so
100,000 rows would need 40 GB. Without sequenzo the baseline is the plain full
N x N matrix with the same kernels (only where it fits in memory).
No assertion: numbers for the record only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
YEARS = 12
RESULT_MARK = "BENCH-RESULT "
DEFAULT_SEQUENZO_PYTHON = Path("/tmp/sequenzo-venv/bin/python")
FULL_MATRIX_MAX_ROWS = 20_000


def synthetic_sequences(n: int, seed: int = 0) -> np.ndarray:
    """n x 12 status codes: 50 % always NM, 30 % mostly MG/LB1/LB2 with an NM lead-in and
    short spells, 20 % switching (a change with probability 0.25 each year)."""
    rng = np.random.default_rng(seed)
    pattern = rng.choice(5, size=n, p=[0.50, 0.11, 0.10, 0.095, 0.195])
    sequences = np.ones((n, YEARS), dtype=np.int64)
    years = np.arange(YEARS)
    dominant = (pattern >= 1) & (pattern <= 3)
    m = int(dominant.sum())
    mostly = np.repeat((pattern[dominant] + 1)[:, None], YEARS, axis=1)
    lead_in = np.where(rng.random(m) < 0.5, rng.integers(1, 5, m), 0)
    mostly[years[None, :] < lead_in[:, None]] = 1
    spells = rng.poisson(1.6, m)
    for spell in range(3):
        start, length, state = rng.integers(0, YEARS, m), rng.integers(1, 3, m), rng.integers(1, 5, m)
        inside = (years[None, :] >= start[:, None]) & (years[None, :] < (start + length)[:, None])
        mostly = np.where((spells > spell)[:, None] & inside, state[:, None], mostly)
    sequences[dominant] = mostly
    switching = pattern == 4
    k = int(switching.sum())
    states = np.empty((k, YEARS), dtype=np.int64)
    states[:, 0] = rng.integers(1, 5, k)
    for year in range(1, YEARS):
        moves = rng.random(k) < 0.25
        other = 1 + (states[:, year - 1] - 1 + rng.integers(1, 4, k)) % 4
        states[:, year] = np.where(moves, other, states[:, year - 1])
    sequences[switching] = states
    return sequences


def distinct_with_counts(sequences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, first, counts = np.unique(sequences, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    return rows[order], counts[order].astype(np.float64)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(stages: dict, name: str, function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    stages[name] = time.perf_counter() - start
    return value


DISTANCES_ONLY = "--distances-only" in sys.argv  # children stop after the distances


def child_ours(n: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from analysis.core.costs import default_indel, trate_costs
    from analysis.core.distances import om_distances
    from analysis.core.quality import cluster_quality
    from analysis.core.sequences import distinct_sequences
    from analysis.core.trajectories import TrajectoryParams, cluster_trajectories
    from analysis.core.ward import ward_tree

    cluster_trajectories(synthetic_sequences(300, seed=1), TrajectoryParams(algorithm="exact"))  # load compiled kernels
    sequences = synthetic_sequences(n)
    stages = {}
    start = time.perf_counter()
    distinct = _timed(stages, "distinct+costs", distinct_sequences, sequences)
    costs = trate_costs(distinct.sequences, distinct.weights)
    stages["distinct+costs"] = time.perf_counter() - start
    condensed = _timed(stages, "distances", om_distances, distinct.sequences, costs, default_indel(costs))
    if DISTANCES_ONLY:
        return {"n_distinct": distinct.n_distinct, "stages": stages, "peak_mb": _peak_mb()}
    tree = _timed(stages, "ward", ward_tree, condensed, distinct.weights, "ward.D")
    _timed(stages, "quality", cluster_quality, condensed, distinct.weights, {k: tree.cut(k) for k in range(2, 11)})
    stages["total"] = time.perf_counter() - start
    return {"n_distinct": distinct.n_distinct, "stages": stages, "peak_mb": _peak_mb()}


def child_ours_pairwise(n: int) -> dict:
    """The one-pair-at-a-time OM kernel (the former ``om_distances``): distances only."""
    sys.path.insert(0, str(ROOT))
    from analysis.core.costs import default_indel, trate_costs
    from analysis.core.distances import om_distances_pairwise
    from analysis.core.sequences import distinct_sequences

    om_distances_pairwise(synthetic_sequences(300, seed=1), 2 * (1 - np.eye(4)), 1.0)
    distinct = distinct_sequences(synthetic_sequences(n))
    costs = trate_costs(distinct.sequences, distinct.weights)
    stages: dict = {}
    _timed(stages, "distances", om_distances_pairwise, distinct.sequences, costs, default_indel(costs))
    return {"n_distinct": distinct.n_distinct, "stages": stages, "peak_mb": _peak_mb()}


def child_ours_clara(n: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from analysis.core.trajectories import TrajectoryParams, cluster_trajectories

    cluster_trajectories(synthetic_sequences(300, seed=1), TrajectoryParams(algorithm="clara"))
    sequences = synthetic_sequences(n)
    stages = {}
    result = _timed(stages, "total", cluster_trajectories, sequences, TrajectoryParams(algorithm="clara"))
    return {"n_distinct": result.n_distinct, "k": result.k, "stages": stages, "peak_mb": _peak_mb()}


def child_full_matrix(n: int) -> dict:
    """Baseline without deduplication: every respondent is a row of the matrix."""
    sys.path.insert(0, str(ROOT))
    from analysis.core.costs import default_indel, trate_costs
    from analysis.core.distances import om_distances
    from analysis.core.quality import cluster_quality
    from analysis.core.ward import ward_tree

    om_distances(synthetic_sequences(50, seed=1), 2 * (1 - np.eye(4)), 1.0)
    sequences = synthetic_sequences(n)
    stages = {}
    start = time.perf_counter()
    costs = _timed(stages, "distinct+costs", trate_costs, sequences)
    condensed = _timed(stages, "distances", om_distances, sequences, costs, default_indel(costs))
    tree = _timed(stages, "ward", ward_tree, condensed, None, "ward.D")
    _timed(stages, "quality", cluster_quality, condensed, np.ones(n), {k: tree.cut(k) for k in range(2, 11)})
    stages["total"] = time.perf_counter() - start
    return {"n_distinct": n, "stages": stages, "peak_mb": _peak_mb()}


def child_sequenzo(n: int) -> dict:
    import pandas as pd
    from sequenzo import Cluster, ClusterQuality, SequenceData, get_distance_matrix

    rows, counts = distinct_with_counts(synthetic_sequences(n))
    columns = [f"y{year}" for year in range(1, YEARS + 1)]
    frame = pd.DataFrame(rows, columns=columns)
    frame["id"] = np.arange(len(frame))
    stages = {}
    start = time.perf_counter()
    data = _timed(
        stages, "distinct+costs", SequenceData, frame, time=columns, states=[1, 2, 3, 4], id_col="id", weights=counts
    )
    condensed = _timed(
        stages, "distances", get_distance_matrix, data, method="OM", sm="TRATE", indel="auto", full_matrix=False
    )
    if DISTANCES_ONLY:
        return {"n_distinct": len(rows), "stages": stages, "peak_mb": _peak_mb()}
    tree = _timed(stages, "ward", Cluster, condensed, entity_ids=np.arange(len(rows)), clustering_method="ward_d",
                  weights=counts)
    quality = _timed(stages, "quality", ClusterQuality, tree, max_clusters=10)  # computes everything
    quality.compute_cluster_quality_scores()
    stages["total"] = time.perf_counter() - start
    return {"n_distinct": len(rows), "stages": stages, "peak_mb": _peak_mb()}


CHILDREN = {"ours": child_ours, "ours-pairwise": child_ours_pairwise, "ours-clara": child_ours_clara,
            "full-matrix": child_full_matrix, "sequenzo": child_sequenzo}


def run_child(engine: str, n: int, python: str) -> dict | None:
    command = [python, str(Path(__file__).resolve()), "--child", engine, "--n", str(n)]
    if DISTANCES_ONLY:
        command.append("--distances-only")
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    print(f"  [{engine} failed at n={n}]\n{completed.stderr[-2000:]}", file=sys.stderr)
    return None


def pairs_per_second(result: dict) -> float:
    """OM pairs a second: the U (U - 1) / 2 distinct pairs over the distances stage."""
    u = result["n_distinct"]
    return u * (u - 1) / 2 / result["stages"]["distances"]


def report(engine: str, result: dict | None) -> None:
    if result is None:
        print(f"  {engine:<12} failed")
        return
    stages = "  ".join(f"{name} {seconds:7.2f}s" for name, seconds in result["stages"].items())
    om = f"  OM {pairs_per_second(result) / 1e6:5.1f} M pairs/s" if "distances" in result["stages"] else ""
    print(f"  {engine:<12} {stages}  peak {result['peak_mb']:8.0f} MB  (U = {result['n_distinct']:,}){om}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[8453, 100_000], help="respondents (exact path)")
    parser.add_argument("--clara-n", type=int, nargs="*", default=[], help="respondents for the CLARA path")
    parser.add_argument("--sequenzo-python", default=str(DEFAULT_SEQUENZO_PYTHON))
    parser.add_argument("--distances-only", action="store_true", help="time the OM distances only (pairs a second)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(RESULT_MARK + json.dumps(CHILDREN[args.child](args.n[0])), flush=True)
        return

    has_sequenzo = Path(args.sequenzo_python).exists()
    if not has_sequenzo:
        print(f"sequenzo python not found at {args.sequenzo_python}: baseline is the full N x N matrix")
    for n in args.n:
        print(f"n = {n:,} respondents: " + ("OM distances only" if DISTANCES_ONLY else "distances + Ward + quality k = 2..10"))
        ours = run_child("ours", n, sys.executable)
        report("ours", ours)
        if DISTANCES_ONLY:
            pairwise = run_child("ours-pairwise", n, sys.executable)
            report("ours-pairwise", pairwise)
            if ours and pairwise:
                print(f"  OM pairs a second, lane kernel / pair kernel: {pairs_per_second(ours) / pairs_per_second(pairwise):.1f}x")
        if has_sequenzo:
            baseline_name, baseline = "sequenzo", run_child("sequenzo", n, args.sequenzo_python)
        elif n <= FULL_MATRIX_MAX_ROWS:
            baseline_name, baseline = "full-matrix", run_child("full-matrix", n, sys.executable)
        else:
            print(f"  full-matrix  skipped: needs {n * (n - 1) * 8 / 1e9:,.0f} GB")
            continue
        report(baseline_name, baseline)
        if ours and baseline and not DISTANCES_ONLY:
            speed = baseline["stages"]["total"] / ours["stages"]["total"]
            memory = baseline["peak_mb"] / ours["peak_mb"]
            print(f"  {baseline_name} / ours: {speed:.1f}x the time, {memory:.1f}x the peak memory")
        if ours and baseline:
            om = pairs_per_second(ours) / pairs_per_second(baseline)
            print(f"  OM pairs a second, ours / {baseline_name}: {om:.1f}x")
    for n in args.clara_n:
        print(f"n = {n:,} respondents: CLARA path (cluster_trajectories, k = 2..10, 100 samples)")
        report("ours-clara", run_child("ours-clara", n, sys.executable))


if __name__ == "__main__":
    main()
