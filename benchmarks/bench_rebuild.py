"""The whole rebuild of a wave (cleaning, costs, distances, clustering, quality k=2..10, every model).

For each size: one subprocess makes a synthetic cohort like the reference
cohort, scores it and saves the wave's frame (as ``analysis_frame`` keeps it);
a fresh subprocess loads it and runs ``analysis.core.pipeline.run_analysis``
(Study A and B), so that its peak resident memory is the rebuild's own. Prints
seconds per stage, the rebuild's seconds (cleaning to the last model) and peak
memory.
With ``--table`` it prints Study A's clusters and Model 1 beside the published ones.

    .venv/bin/python benchmarks/bench_rebuild.py --sizes 8453 100000 1000000 --table
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PUBLISHED_SHARES = {
    "non-migration": 50.14,
    "migration": 10.92,
    "left-behind by single parent": 10.32,
    "left-behind by both parents": 9.42,
    "transition": 19.21,
}
PUBLISHED_MODEL1 = {
    "migration": (-0.054, 0.021),
    "left-behind by single parent": (-0.089, 0.021),
    "left-behind by both parents": (-0.061, 0.022),
    "transition": (-0.050, 0.017),
    "constant": (3.356, None),
}


def make_wave(n: int, seed: int, path: str) -> None:
    from analysis.core.pipeline import analysis_frame
    from analysis.core.synthetic import synthetic_cohort
    from scoring.engine import score_wave
    from scoring.instrument import default_instrument

    raw = synthetic_cohort(n, seed=seed)
    analysis_frame(raw.join(score_wave(raw)), default_instrument()).to_pickle(path)


def one_size(path: str, k: int | None) -> dict:
    import pandas as pd

    from analysis.core.pipeline import run_analysis
    from analysis.core.trajectories import TrajectoryParams
    from scoring.instrument import default_instrument

    frame = pd.read_pickle(path)
    n = len(frame)
    start = time.perf_counter()
    result = run_analysis(frame, instrument=default_instrument(), params=TrajectoryParams(k=k), study="both")
    rebuild = time.perf_counter() - start
    trajectory = result.trajectory
    sizes = result.assignments["traj_label"].value_counts(normalize=True) * 100
    model1 = result.tables["a_model1"].terms
    return {
        "n": n,
        "analytic": int(len(result.assignments)),
        "distinct": int(trajectory.n_distinct),
        "algorithm": trajectory.algorithm,
        "k": int(trajectory.k),
        "rebuild_s": rebuild,
        "stages": result.timings,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "shares": sizes.round(2).to_dict(),
        "model1": {term: [row.coef, row.se] for term, row in model1.iterrows()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8453, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", type=int, default=5, help="fixed k as Study A (0: chosen by ASW)")
    parser.add_argument("--table", action="store_true", help="print clusters and Model 1 beside the published ones")
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    k = args.k or None
    if args.make:
        make_wave(args.make, args.seed, args.run)
        return
    if args.run:
        print(json.dumps(one_size(args.run, k), default=float))
        return
    print(f"{'respondents':>12} {'analytic':>9} {'distinct':>9} {'path':>6} {'rebuild s':>10} {'peak MB':>8}  stages (s)")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "wave.pkl")
            subprocess.run([sys.executable, __file__, "--make", str(n), "--run", path, "--seed", str(args.seed)], check=True)
            command = [sys.executable, __file__, "--run", path, "--k", str(args.k)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in row["stages"].items())
        print(f"{row['n']:>12,} {row['analytic'] or 0:>9,} {row['distinct']:>9,} {row['algorithm']:>6} {row['rebuild_s']:>10.1f} {row['peak_rss_mb']:>8.0f}  {stages}")
        if args.table:
            print(f"\n  clusters at n={n:,} (share %, ours vs published)")
            for name, published in PUBLISHED_SHARES.items():
                print(f"    {name:<32} {row['shares'].get(name, float('nan')):>7.2f} {published:>7.2f}")
            print("  Model 1 (coef (SE), ours vs published)")
            for term, (coef, se) in PUBLISHED_MODEL1.items():
                ours = next((value for key, value in row["model1"].items() if key.lower().startswith(term[:12].lower())), None)
                ours_text = f"{ours[0]:+.3f} ({ours[1]:.3f})" if ours else "-"
                published_text = f"{coef:+.3f}" + (f" ({se:.3f})" if se else "")
                print(f"    {term:<32} {ours_text:>16} {published_text:>16}")
            print()


if __name__ == "__main__":
    main()
