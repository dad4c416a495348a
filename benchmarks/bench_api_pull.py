"""Benchmark of the API from a script: a full pull of a wave of 100,000 responses (and their scores) by cursor.

The database is the export benchmark's (``var/bench/export-N.sqlite3``,
built once by ``bench_export.build``: a wave of N synthetic responses
bulk-created and scored by the real engine). The pull goes through the
whole stack in-process (Django's test client: URL routing, middleware, the
personal-token authentication, throttling, filters, cursor pagination,
serializers, JSON), following ``next`` from
``/api/v1/responses/?wave_id=ID&page_size=1000`` to the end, as a script
would. With ``--live URL`` it pulls from a running server instead (e.g.
gunicorn on the same database), over HTTP.

    .venv/bin/python benchmarks/bench_api_pull.py                    # 100,000 responses, page_size 1000
    .venv/bin/python benchmarks/bench_api_pull.py --n 20000 --page-size 500
    .venv/bin/python benchmarks/bench_api_pull.py --endpoints responses scores

Prints, per endpoint: rows, pages, seconds, rows per second, database
queries in all and per page (the same on every page: no COUNT, no query per
row). No assertion: figures for the record only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
BENCH_DIR = ROOT / "var" / "bench"


def _token() -> tuple[str, int]:
    """A personal token of a study administrator of the benchmark study, and the big wave's id."""
    from django.contrib.auth import get_user_model

    from apitokens.services import api_token_create
    from studies.models import Membership, Study, Wave

    study = Study.objects.get(code="BENCH")
    user, _ = get_user_model().objects.get_or_create(username="bench-api")
    Membership.objects.get_or_create(user=user, role="study_admin", study=study)
    wave = Wave.objects.get(study=study, code="big")
    return api_token_create(user=user, name="benchmark", days=30).key, wave.pk


def pull_in_process(path: str, key: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    url, rows, per_page = path, 0, []
    began = time.perf_counter()
    while url:
        with CaptureQueriesContext(connection) as queries:
            reply = client.get(url)
        if reply.status_code != 200:
            raise SystemExit(f"{url}: {reply.status_code} {reply.content[:300]!r}")
        body = reply.json()
        rows += len(body["results"])
        per_page.append(len(queries))
        url = body["next"]
    return {"rows": rows, "pages": len(per_page), "seconds": time.perf_counter() - began, "queries": per_page}


def pull_live(base: str, path: str, key: str) -> dict:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    url, rows, pages = base.rstrip("/") + path, 0, 0
    began = time.perf_counter()
    while url:
        reply = session.get(url, timeout=120)
        reply.raise_for_status()
        body = reply.json()
        rows += len(body["results"])
        pages += 1
        url = body["next"]
    return {"rows": rows, "pages": pages, "seconds": time.perf_counter() - began, "queries": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses in the big wave (default 100000)")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--endpoints", nargs="+", default=["responses", "scores"], choices=["responses", "scores"])
    parser.add_argument("--live", metavar="URL", help="pull from a running server on the same database (e.g. http://127.0.0.1:8000)")
    args = parser.parse_args()

    from bench_export import build, setup_django

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db_path = BENCH_DIR / f"export-{args.n}.sqlite3"
    fresh = not db_path.exists()
    setup_django(db_path)
    if fresh:
        print(f"building {db_path} with {args.n:,} responses (once, shared with bench_export.py)...", flush=True)
        t0 = time.perf_counter()
        build(args.n, db_path)
        print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a database built before the token table existed
    key, wave_id = _token()
    print(f"{'endpoint':<10}{'page':>6}{'rows':>9}{'pages':>7}{'seconds':>9}{'rows/s':>9}{'queries':>9}{'per page':>10}")
    for endpoint in args.endpoints:
        path = f"/api/v1/{endpoint}/?wave_id={wave_id}&page_size={args.page_size}"
        result = pull_live(args.live, path, key) if args.live else pull_in_process(path, key)
        queries = result["queries"]
        per_page = f"{min(queries)}-{max(queries)}" if queries else "-"
        print(
            f"{endpoint:<10}{args.page_size:>6}{result['rows']:>9,}{result['pages']:>7}{result['seconds']:>9.1f}"
            f"{result['rows'] / result['seconds']:>9,.0f}{sum(queries) if queries else '-':>9}{per_page:>10}",
            flush=True,
        )


if __name__ == "__main__":
    main()
