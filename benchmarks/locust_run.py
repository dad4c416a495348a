"""Load test with Locust, an independent generator, against the production stack on 127.0.0.1.

Prepares a study (as ``loadtest.py`` does), starts gunicorn under the production
settings, runs ``benchmarks/locust_students.py`` headless, prints per request
kind its count, failures and p50 / p95 / p99 in ms, then checks in the
database that every submission is stored exactly once, scored, with exactly
the answers sent (double taps and retries included).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loadtest \\
        .venv/bin/python benchmarks/locust_run.py --students 2000 --users 500 --think 2 8

The saturation run adds ``--step-users`` phones every ``--step-seconds`` with a
short think time and prints, per step, the rate served and its p95; the highest
rate served with p95 under a second and no failure is the sustainable rate:

    .venv/bin/python benchmarks/locust_run.py --saturation --students 20000 --think 1 3 --step-users 50 --step-seconds 60 --run-time 8m
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadtest import database_check, gunicorn, prepare_study  # noqa: E402

SUSTAINABLE_P95_MS = 1000


def locust(base: str, env: dict, options: list[str], csv_prefix: str) -> None:
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "benchmarks" / "locust_students.py"), "--headless",
               "--host", base, "--csv", csv_prefix, "--csv-full-history", "--only-summary", "--loglevel", "WARNING", *options]
    subprocess.run(command, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)  # its tables are read from the CSV


def print_requests(csv_prefix: str) -> None:
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    print(f"{'request':<16}{'n':>8}{'failed':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for row in rows:
        print(f"{row['Name']:<16}{row['Request Count']:>8}{row['Failure Count']:>8}{float(row['Requests/s']):>8.1f}"
              f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}")


def print_saturation(csv_prefix: str) -> None:
    """Per step of phones: the mean rate served in the step's second half and the p95 at its end."""
    steps = defaultdict(list)
    with open(f"{csv_prefix}_stats_history.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" and row["95%"] not in ("", "N/A"):
                steps[int(row["User Count"])].append(row)
    print(f"{'phones':>8}{'req/s':>8}{'failures/s':>11}{'p95 ms':>8}")
    sustainable = 0.0
    for users, rows in sorted(steps.items()):
        tail = rows[len(rows) // 2:]
        rate = sum(float(row["Requests/s"]) for row in tail) / len(tail)
        failures = sum(float(row["Failures/s"]) for row in tail) / len(tail)
        p95 = float(rows[-1]["95%"])
        print(f"{users:>8}{rate:>8.1f}{failures:>11.2f}{p95:>8.0f}")
        if p95 < SUSTAINABLE_P95_MS and failures == 0:
            sustainable = max(sustainable, rate)
    print(f"highest sustainable rate (p95 under {SUSTAINABLE_P95_MS} ms, no failure): {sustainable:.1f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--users", type=int, default=500, help="phones at a time")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"))
    parser.add_argument("--double", type=float, default=0.1, help="share of saves and submits sent twice")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread, 4 threads each)")
    parser.add_argument("--saturation", action="store_true")
    parser.add_argument("--step-users", type=int, default=50)
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--run-time", default="8m", help="the saturation run's length")
    args = parser.parse_args()

    env, wave_id, codes = prepare_study(args.students)
    with tempfile.TemporaryDirectory() as work:
        codes_file = Path(work) / "codes.txt"
        codes_file.write_text("\n".join(codes))
        locust_env = {**env, "LOCUST_CODES": str(codes_file), "LOCUST_THINK": f"{args.think[0]} {args.think[1]}",
                      "LOCUST_DOUBLE": str(args.double)}
        prefix = str(Path(work) / "locust")
        with gunicorn(env, args.workers) as base:
            if args.saturation:
                locust_env.update(LOCUST_STEP_USERS=str(args.step_users), LOCUST_STEP_SECONDS=str(args.step_seconds))
                print(f"saturation: {args.step_users} more phones every {args.step_seconds} s for {args.run_time}, "
                      f"think {args.think[0]}-{args.think[1]} s, gunicorn {args.workers}x4 threads, load {os.getloadavg()[0]:.1f}")
                locust(base, locust_env, ["--run-time", args.run_time], prefix)
            else:
                print(f"{len(codes)} students, {args.users} at a time, think {args.think[0]}-{args.think[1]} s, "
                      f"{args.double:.0%} sent twice, gunicorn {args.workers}x4 threads, load {os.getloadavg()[0]:.1f}")
                locust(base, locust_env, ["--users", str(args.users), "--spawn-rate", str(max(args.users // 10, 1))], prefix)
        print_requests(prefix)
        if args.saturation:
            print_saturation(prefix)
            return
    from surveys.models import Response

    done = Response.objects.filter(wave_id=wave_id, status=Response.Status.SUBMITTED).count()
    sys.exit(0 if database_check(wave_id, len(codes), done) else 1)


if __name__ == "__main__":
    main()
