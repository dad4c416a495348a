"""CPU time of each student request in process: the server's own cost of a page, without the network or a load generator.

Plays ``--students`` students through Django's test client under the
production settings (every middleware, sessions in the database or cache of
``CACHE_URL``, PostgreSQL of ``DATABASE_URL``): code page, assent, every
section, review and submit, each a load and a save, as ``loadtest.py`` does.
It measures the thread's CPU time of each request, so the figures hold on a
busy machine where wall-clock latencies do not; the database's own time is not
in them (queries are counted instead). Run it from two checkouts to compare
releases: the database named in DATABASE_URL is created if missing and migrated.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/bench_request_cpu.py --students 30

Prints per request kind: count, CPU p50 / p95 / mean in ms, queries per request. No assertion.
"""

import argparse
import html
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 40),
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"),
        }
    )
    from benchmarks.loadtest import ensure_database, page_posts, prepare

    ensure_database(os.environ["DATABASE_URL"])
    _, codes = prepare(args.students)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", "--noinput", verbosity=0)
    cpu, queries = defaultdict(list), defaultdict(list)

    def request(client, method, url, label, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            start = time.thread_time()
            reply = getattr(client, method)(url, **kwargs)
            cpu[label].append(time.thread_time() - start)
        queries[label].append(len(captured.captured_queries))
        return reply

    def form(client, url, data, label):
        page = request(client, "get", url, f"load {label}", follow=True)
        hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(page.content.decode())}
        return request(client, "post", url, f"save {label}", data={**hidden, **data})

    pages = page_posts()
    for code in codes:
        client = Client()
        client.handler.load_middleware()  # once per process in gunicorn: not a request's cost
        form(client, "/", {"code": code}, "entry")
        form(client, "/q/assent/", {"agree": "on"}, "assent")
        for section, answers in pages:
            form(client, f"/q/{section}/", {**answers, "next": "1"}, "section")
        form(client, "/q/review/", {"submission_key": code}, "submit")

    print(f"{args.students} students, CPU time per request (ms), production settings, {connection.vendor}")
    print(f"{'request':<16}{'n':>6}{'p50':>8}{'p95':>8}{'mean':>8}{'queries':>9}")
    for label in sorted(cpu):
        values = sorted(cpu[label])
        p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]
        print(f"{label:<16}{len(values):>6}{values[len(values) // 2] * 1000:>8.1f}{p95 * 1000:>8.1f}"
              f"{statistics.fmean(values) * 1000:>8.1f}{statistics.fmean(queries[label]):>9.1f}")


if __name__ == "__main__":
    main()
