"""Benchmark of exports: a full wide CSV and Stata (.dta) export of a wave of 100,000 responses.

A database of its own (``var/bench/export-N.sqlite3``, built once and reused)
holds a wave of N synthetic responses (rows of the reference cohort resampled
and perturbed as in ``bench_scoring.py``, scored by the real engine) and a
small wave of 1,000. Each export runs in a fresh process; its peak resident memory (``VmHWM``,
reset just before the export) is the export's own, Python and libraries included.

    .venv/bin/python benchmarks/bench_export.py                 # 100,000 responses, csv and dta
    .venv/bin/python benchmarks/bench_export.py --n 20000 --formats csv sav
    .venv/bin/python benchmarks/bench_export.py --rebuild        # build the database again

Prints, per format: seconds, peak resident memory, rows and the number of
database queries for the large and the small wave (the same number: queries do
not depend on the number of rows). No assertion: figures for the record only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DIR = ROOT / "var" / "bench"
SMALL = 1_000


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "false"  # no per-query log kept in memory
    import django

    django.setup()


def build(n: int, db_path: Path) -> None:
    """Create the database: study BENCH, waves big (n responses) and small (1,000), scored."""
    import pandas as pd
    from bench_scoring import synthetic
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from studies.instruments import instrument_for, instrument_version_default
    from studies.models import Respondent, School, SchoolClass, Study, Wave
    from surveys.models import Response
    from surveys.scores import scores_write

    call_command("migrate", verbosity=0)
    version = instrument_version_default()
    instrument = instrument_for(version)
    study = Study.objects.create(code="BENCH", name="benchmark")
    school = School.objects.create(study=study, code="S1")
    classes = [SchoolClass.objects.create(school=school, code=f"C{i:02d}") for i in range(40)]
    t0 = time.perf_counter()
    for wave_code, size, offset in (("big", n, 0), ("small", SMALL, n)):
        wave = Wave.objects.create(study=study, code=wave_code, instrument=version)
        frame = synthetic(size, seed=7 + offset)
        items = [code for code in instrument.item_codes if code in frame.columns]
        answers_frame = frame[items]
        for start in range(0, size, 20_000):
            part = frame.iloc[start : start + 20_000]
            submitted = pd.to_datetime(part["submitted_at"], utc=True)
            scoring = answers_frame.iloc[start : start + 20_000].astype("float64").copy()
            scoring["submitted_at"] = submitted.dt.tz_convert("Asia/Shanghai").to_numpy()
            scoring["duration_s"] = part["duration_s"].to_numpy()
            records = answers_frame.iloc[start : start + 20_000].to_dict(orient="records")
            with transaction.atomic():
                respondents = Respondent.objects.bulk_create(
                    [
                        Respondent(study=study, pid=f"B{offset + start + i:09d}", school_class=classes[(start + i) % 40])
                        for i in range(len(part))
                    ],
                    batch_size=5000,
                )
                now = timezone.now()
                responses = Response.objects.bulk_create(
                    [
                        Response(
                            respondent=respondent,
                            wave=wave,
                            school_class_id=respondent.school_class_id,
                            status=Response.Status.SUBMITTED,
                            answers={k: int(v) for k, v in record.items() if v == v},
                            lang="zh-hans",
                            instrument_version=version.version,
                            started_at=now,
                            submitted_at=ts.to_pydatetime(),
                            duration_s=int(duration),
                            source="import",
                        )
                        for respondent, record, ts, duration in zip(respondents, records, submitted, part["duration_s"])
                    ],
                    batch_size=2000,
                )
                scores_write(wave_id=wave.pk, scoring_input=scoring.set_axis([r.pk for r in responses]), instrument=instrument)
            print(f"  {wave_code}: {start + len(part):,} / {size:,} responses stored ({time.perf_counter() - t0:.0f} s)", flush=True)


def _status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (``ru_maxrss`` would carry the parent's peak over fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def run_one(fmt: str, wave_code: str, out_dir: Path) -> dict:
    """One export in this process: time, peak memory, queries, rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exports.engine import ExportOptions, export_write
    from studies.models import Wave

    wave = Wave.objects.select_related("study", "instrument").get(study__code="BENCH", code=wave_code)
    base = _status_mb("VmRSS")
    _reset_peak()
    path = out_dir / f"{wave_code}.{fmt}"
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = export_write(wave=wave, options=ExportOptions(format=fmt), path=path)
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    return {
        "format": fmt,
        "wave": wave_code,
        "rows": result.row_count,
        "columns": len(result.columns),
        "seconds": round(seconds, 2),
        "peak_mb": round(peak, 1),
        "before_mb": round(base, 1),
        "queries": len(queries),
        "file_mb": round(path.stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses in the big wave (default 100000)")
    parser.add_argument("--formats", nargs="+", default=["csv", "dta"], choices=["csv", "xlsx", "dta", "sav"])
    parser.add_argument("--rebuild", action="store_true", help="build the benchmark database again")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "WAVE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db_path = BENCH_DIR / f"export-{args.n}.sqlite3"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    if args.child:
        setup_django(db_path)
        print(json.dumps(run_one(args.child[0], args.child[1], BENCH_DIR)))
        return

    if args.rebuild and db_path.exists():
        db_path.unlink()
    if not db_path.exists():
        print(f"building {db_path} with {args.n:,} + {SMALL:,} responses (once)...", flush=True)
        t0 = time.perf_counter()
        setup_django(db_path)
        build(args.n, db_path)
        print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)

    print(f"{'format':<7}{'wave':<7}{'rows':>9}{'cols':>6}{'seconds':>9}{'peak MB':>9}{'start MB':>10}{'queries':>9}{'file MB':>9}")
    for fmt in args.formats:
        for wave in ("big", "small"):
            child = subprocess.run(
                [sys.executable, __file__, "--n", str(args.n), "--child", fmt, wave],
                check=True, capture_output=True, text=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{r['format']:<7}{r['wave']:<7}{r['rows']:>9,}{r['columns']:>6}{r['seconds']:>9.1f}"
                f"{r['peak_mb']:>9.0f}{r['before_mb']:>10.0f}{r['queries']:>9}{r['file_mb']:>9.1f}",
                flush=True,
            )
    print("peak MB: peak resident memory of the export's process (Python, Django, pandas included); start MB: before the export")


if __name__ == "__main__":
    main()
