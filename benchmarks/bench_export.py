"""Benchmark of exports: a full wide export of a wave of 100,000 responses in every format, beside the naive path.

A database of its own (``var/bench/export-N.sqlite3``, built once and reused;
or the PostgreSQL database of ``DATABASE_URL``, built when it has no study
``BENCH`` yet) holds a wave of N synthetic responses (rows of the reference
cohort resampled and perturbed as in ``bench_scoring.py``, scored by the real
engine) and a small wave of 1,000. Each export runs in a fresh process; its
peak resident memory (``VmHWM``, reset just before the export) is the export's
own, Python and libraries included.

The naive peer, measured in the same run and the same way: one ``pd.read_sql``
of the rows (meta, answers and scores as JSON text), the JSON decoded into
columns, and one call of ``to_csv``, ``to_excel``, ``pyreadstat.write_dta`` or
``pyreadstat.write_sav`` (no labels, no missing codes, no cleaning).

    .venv/bin/python benchmarks/bench_export.py                 # 100,000 responses, every format
    .venv/bin/python benchmarks/bench_export.py --n 20000 --formats csv sav
    .venv/bin/python benchmarks/bench_export.py --rebuild        # build the database again
    createdb -h 127.0.0.1 -U postgres bench_export
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_export .venv/bin/python benchmarks/bench_export.py

Prints, per format: seconds and peak resident memory of ours and of the naive
path and their ratios (the target: seconds ratio at most 1, memory ratio at
most 0.5), rows and the number of database queries of ours for the large and
the small wave (the same number: queries do not depend on the number of rows).
No assertion: figures for the record only; on a shared machine compare the
ratios, not the seconds.
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


FORMATS = ["csv", "xlsx", "dta", "sav", "zsav"]


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def setup_django(db_path: Path) -> None:
    if not on_postgres():
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


NAIVE_SQL = """
    SELECT p.pid, s.code AS school_code, c.code AS class_code, w.code AS wave, r.instrument_version, r.lang,
           r.started_at, r.submitted_at, r.duration_s, r.answers, sc."values" AS scores
    FROM surveys_response r
    JOIN surveys_respondent p ON p.id = r.respondent_id
    JOIN surveys_schoolclass c ON c.id = r.school_class_id
    JOIN surveys_school s ON s.id = c.school_id
    JOIN surveys_wave w ON w.id = r.wave_id
    LEFT JOIN surveys_score sc ON sc.response_id = r.id
    WHERE r.wave_id = %s AND r.status = 'submitted' AND p.withdrawn_at IS NULL
    ORDER BY r.id
"""


def naive_export(wave_id: int, fmt: str, path: Path) -> int:
    """The plain way: one ``read_sql``, the JSON decoded into columns, one writer call."""
    import warnings

    import pandas as pd
    import pyreadstat
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    sql = NAIVE_SQL if connection.vendor == "postgresql" else NAIVE_SQL.replace("%s", "?")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy to a DB-API connection
        frame = pd.read_sql(sql, raw, params=[wave_id])

    def decoded(column: pd.Series) -> pd.DataFrame:
        return pd.DataFrame.from_records([v if isinstance(v, dict) else json.loads(v or "{}") for v in column])

    frame = pd.concat([frame.drop(columns=["answers", "scores"]), decoded(frame["answers"]), decoded(frame["scores"])], axis=1)
    for column in ("started_at", "submitted_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        for column in frame.select_dtypes(include="object").columns:
            frame[column] = frame[column].fillna("").astype(str)  # pyreadstat writes strings, not None
        if fmt == "dta":
            pyreadstat.write_dta(frame, str(path))
        else:
            pyreadstat.write_sav(frame, str(path), compress=fmt == "zsav")
    return len(frame)


def run_naive(fmt: str, wave_code: str, out_dir: Path) -> dict:
    """The naive export in this process: time and peak memory."""
    from studies.models import Wave

    wave = Wave.objects.get(study__code="BENCH", code=wave_code)
    base = _status_mb("VmRSS")
    _reset_peak()
    path = out_dir / f"naive-{wave_code}.{fmt}"
    t0 = time.perf_counter()
    rows = naive_export(wave.pk, fmt, path)
    seconds = time.perf_counter() - t0
    return {
        "format": fmt, "wave": wave_code, "rows": rows, "seconds": round(seconds, 2), "peak_mb": round(_status_mb("VmHWM"), 1),
        "before_mb": round(base, 1), "file_mb": round(path.stat().st_size / 2**20, 1),
    }


def _child(args, *extra: str) -> dict:
    child = subprocess.run([sys.executable, __file__, "--n", str(args.n), *extra], check=True, capture_output=True, text=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses in the big wave (default 100000)")
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=FORMATS)
    parser.add_argument("--no-naive", action="store_true", help="measure ours only")
    parser.add_argument("--rebuild", action="store_true", help="build the benchmark database again")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "WAVE"), help=argparse.SUPPRESS)
    parser.add_argument("--naive", nargs=2, metavar=("FORMAT", "WAVE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db_path = BENCH_DIR / f"export-{args.n}.sqlite3"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    if args.child or args.naive:
        setup_django(db_path)
        fmt, wave = args.child or args.naive
        print(json.dumps((run_one if args.child else run_naive)(fmt, wave, BENCH_DIR)))
        return

    if on_postgres():
        setup_django(db_path)
        from django.core.management import call_command

        from studies.models import Study

        call_command("migrate", verbosity=0)
        if args.rebuild:
            call_command("flush", interactive=False, verbosity=0)
        if not Study.objects.filter(code="BENCH").exists():
            print(f"building the PostgreSQL database with {args.n:,} + {SMALL:,} responses (once)...", flush=True)
            t0 = time.perf_counter()
            build(args.n, db_path)
            print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)
        from django.db import connection

        connection.close()
    else:
        if args.rebuild and db_path.exists():
            db_path.unlink()
        if not db_path.exists():
            print(f"building {db_path} with {args.n:,} + {SMALL:,} responses (once)...", flush=True)
            t0 = time.perf_counter()
            setup_django(db_path)
            build(args.n, db_path)
            print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)

    print(f"database: {'PostgreSQL' if on_postgres() else 'SQLite'}; {args.n:,} responses; seconds and peak MB, ours / naive")
    print(
        f"{'format':<7}{'wave':<7}{'rows':>9}{'cols':>6}{'ours s':>8}{'naive s':>9}{'s ratio':>9}"
        f"{'ours MB':>9}{'naive MB':>10}{'MB ratio':>10}{'start MB':>10}{'queries':>9}{'file MB':>9}"
    )
    for fmt in args.formats:
        for wave in ("big", "small"):
            r = _child(args, "--child", fmt, wave)
            naive = _child(args, "--naive", fmt, wave) if wave == "big" and not args.no_naive else None
            if naive:
                compared = (
                    f"{naive['seconds']:>9.1f}{r['seconds'] / naive['seconds']:>9.2f}{r['peak_mb']:>9.0f}"
                    f"{naive['peak_mb']:>10.0f}{r['peak_mb'] / naive['peak_mb']:>10.2f}"
                )
            else:
                compared = f"{'':>9}{'':>9}{r['peak_mb']:>9.0f}{'':>10}{'':>10}"
            print(
                f"{r['format']:<7}{r['wave']:<7}{r['rows']:>9,}{r['columns']:>6}{r['seconds']:>8.1f}{compared}"
                f"{r['before_mb']:>10.0f}{r['queries']:>9}{r['file_mb']:>9.1f}",
                flush=True,
            )
    print("peak MB: peak resident memory of the export's process (Python, Django, pandas included); start MB: before the export")
    print("ratios: ours / naive (the target: s ratio <= 1, MB ratio <= 0.5); naive: read_sql, JSON decoded, one writer call")


if __name__ == "__main__":
    main()
