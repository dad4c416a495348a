"""Benchmark of an analysis run's read: every response decoded from JSON against the typed snapshot.

Uses the database of ``bench_export.py`` (a wave "big" of N scored synthetic
responses, ``var/bench/export-N.sqlite3``, built once). Prints, in one run and
one process, the seconds of:

- ``wave_frame``: every answer and score decoded from JSON (what every run did);
- the snapshot's first read (decodes everything, writes the snapshot);
- the next read with nothing changed (decodes nothing);
- a read after ``--changed`` responses were scored again (decodes those only).

    .venv/bin/python benchmarks/bench_snapshot.py --n 20000

Each read is checked equal to ``wave_frame``. No assertion on time: figures for the record only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_export import BENCH_DIR, build, setup_django  # noqa: E402


def timed(label: str, call, baseline: float | None = None):
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    ratio = f"{baseline / seconds:8.1f}x" if baseline else " " * 9
    print(f"{label:<44} {seconds:8.2f} s {ratio}", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=100, help="responses scored again before the last read")
    args = parser.parse_args()
    db_path = BENCH_DIR / f"export-{args.n}.sqlite3"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    exists = db_path.exists()
    setup_django(db_path)
    if not exists:
        build(args.n, db_path)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import pandas as pd

    from studies.instruments import instrument_for
    from studies.models import Wave
    from surveys.frames import scoring_input, wave_frame
    from surveys.models import Response
    from surveys.scores import scores_write
    from surveys.snapshot import wave_frame_from_snapshot

    settings.SNAPSHOT_DIR = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    wave = Wave.objects.select_related("study", "instrument").get(study__code="BENCH", code="big")
    instrument = instrument_for(wave.instrument)
    print(f"wave of {args.n:,} responses, {len(instrument.codes)} columns; SQLite {db_path.name}")
    print(f"{'read':<44} {'seconds':>10} {'vs JSON':>9}")
    expected, naive = timed("wave_frame (every row decoded from JSON)", lambda: wave_frame(wave, instrument))
    for label in ("snapshot, first read (decodes all, writes)", "snapshot, nothing changed"):
        frame, _ = timed(label, lambda: wave_frame_from_snapshot(wave, instrument), naive)
        pd.testing.assert_frame_equal(frame, expected)
    rows = list(Response.objects.filter(wave=wave).order_by("id").values("id", "answers", "submitted_at", "duration_s")[: args.changed])
    scores_write(wave_id=wave.pk, scoring_input=scoring_input(rows, instrument), instrument=instrument)
    frame, _ = timed(f"snapshot, {args.changed} responses scored again", lambda: wave_frame_from_snapshot(wave, instrument), naive)
    pd.testing.assert_frame_equal(frame, wave_frame(wave, instrument))


if __name__ == "__main__":
    main()
