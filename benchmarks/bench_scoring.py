"""Benchmark of the scoring engine: a wave of synthetic responses, and one response.

Rows of the reference cohort are drawn with replacement and perturbed (answers
blanked or replaced by another valid code, submission times in other UTC
offsets, durations jittered), then ``score_wave`` and ``clean`` are timed.

    .venv/bin/python benchmarks/bench_scoring.py            # 100,000 responses
    .venv/bin/python benchmarks/bench_scoring.py --n 20000 --repeat 5

Prints responses per second, the time of a one-row ``score_frame`` (the
per-submission call) and the peak memory traced during one ``score_wave``.
No assertion: numbers for the record only.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.cleaning import clean  # noqa: E402
from scoring.engine import score_frame, score_wave  # noqa: E402
from scoring.instrument import default_instrument  # noqa: E402
from tests.paths import REFERENCE_DIR  # noqa: E402


def synthetic(n: int, seed: int = 2021, blank: float = 0.002, swap: float = 0.01) -> pd.DataFrame:
    """``n`` responses resampled from the reference cohort and perturbed."""
    rng = np.random.default_rng(seed)
    source = pd.read_csv(REFERENCE_DIR / "cohort_1500.csv")
    frame = source.iloc[rng.integers(0, len(source), n)].reset_index(drop=True)
    instrument = default_instrument()
    items = [v for v in instrument.items if v.code in frame.columns and v.options]
    for variable in items:
        values = frame[variable.code].to_numpy(dtype=float, copy=True)
        codes = np.array(variable.option_codes, dtype=float)
        replace = rng.random(n) < swap
        values[replace] = codes[rng.integers(0, len(codes), replace.sum())]
        values[rng.random(n) < blank] = np.nan
        frame[variable.code] = values
    frame["pid"] = [f"B{i:09d}" for i in range(n)]
    offsets = np.array(["+08:00", "+00:00", "-05:00", "+09:00"])
    days = rng.integers(0, 28, n) + 1
    hours = rng.integers(0, 24, n)
    frame["submitted_at"] = [
        f"2021-{m:02d}-{d:02d}T{h:02d}:15:00{o}"
        for m, d, h, o in zip(rng.integers(1, 13, n), days, hours, offsets[rng.integers(0, 4, n)])
    ]
    frame["duration_s"] = np.maximum(30, frame["duration_s"].to_numpy() * rng.normal(1, 0.1, n)).round()
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses in the wave (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of score_wave (best is reported)")
    parser.add_argument("--single", type=int, default=300, help="timed one-row calls")
    args = parser.parse_args()

    t0 = time.perf_counter()
    answers = synthetic(args.n)
    print(f"built {len(answers):,} synthetic responses in {time.perf_counter() - t0:.1f} s")

    score_wave(answers.head(100))  # warm-up (instrument plan, imports)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        scored = score_wave(answers)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"score_wave: best {best:.3f} s of {args.repeat} ({len(answers) / best:,.0f} responses/s)")

    t0 = time.perf_counter()
    result = clean(scored)
    print(f"clean: {time.perf_counter() - t0:.3f} s, analytic {result.analytic:,} of {result.raw:,}")

    one = answers.iloc[[0]]
    single = []
    for _ in range(args.single):
        t0 = time.perf_counter()
        score_frame(one)
        single.append(time.perf_counter() - t0)
    print(f"score_frame, one row: median {statistics.median(single) * 1e3:.2f} ms, p95 {np.percentile(single, 95) * 1e3:.2f} ms")

    tracemalloc.start()
    score_wave(answers)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_mb = answers.memory_usage(deep=True).sum() / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory traced in score_wave: {peak / 2**20:.0f} MiB (input frame {input_mb:.0f} MiB); process max RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
