"""Load test: a county's schools answering at once, against gunicorn + PostgreSQL on 127.0.0.1.

Each simulated student loads every page and saves it (GET then POST, sending
back the page's hidden fields as a phone does: the CSRF token, and what the
page showed with its revision), then submits; ``--concurrency`` students answer
at a time, with a think time between pages. It prints throughput, latency
percentiles per page, errors, and then checks in the database that every
submission is stored exactly once, with exactly the answers sent, and scored.
Bounded: it stops by itself.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loadtest \\
        .venv/bin/python benchmarks/loadtest.py --students 2000 --concurrency 200

The database named in DATABASE_URL is created if missing and migrated.
"""

import argparse
import asyncio
import html
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def ensure_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')


def prepare(students: int) -> list[str]:
    """A fresh study with ``students`` children in classes of 50, and their access codes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from studies.instruments import instrument_version_default
    from studies.models import Respondent, School, SchoolClass, Study, Wave
    from surveys.services_codes import access_codes_issue

    stamp = time.strftime("%Y%m%d%H%M%S")
    study = Study.objects.create(code=f"load-{stamp}", name="Load test")
    wave = Wave.objects.create(study=study, code="w1", instrument=instrument_version_default())
    respondents = []
    for school_no in range((students + 499) // 500):
        school = School.objects.create(study=study, code=f"S{school_no}")
        for class_no in range(10):
            school_class = SchoolClass.objects.create(school=school, code=f"C{class_no}")
            for seat in range(1, 51):
                if len(respondents) < students:
                    respondents.append(Respondent(study=study, pid=f"L{stamp}-{len(respondents):05d}", school_class=school_class, seat_number=seat))
    Respondent.objects.bulk_create(respondents, batch_size=1000)
    codes = access_codes_issue(wave=wave, respondents=Respondent.objects.filter(study=study))
    return wave.pk, [code.code for code in codes]


def page_posts() -> list[tuple[str, dict]]:
    from tests.surveys.answers import page_answers, sections

    return [(section, {k: str(v) for k, v in page_answers(section).items()}) for section in sections()]


class Stats:
    def __init__(self):
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)

    def record(self, label: str, seconds: float) -> None:
        self.latency[label].append(seconds)


async def student(client: httpx.AsyncClient, code: str, pages, stats: Stats, think: tuple[float, float]) -> bool:
    async def call(method, url, label, **kwargs):
        for attempt in range(6):
            start = time.perf_counter()
            try:
                response = await client.request(method, url, **kwargs)
                if response.status_code < 500:
                    stats.record(label, time.perf_counter() - start)
                    return response
                stats.errors[f"{label} HTTP {response.status_code}"] += 1
            except httpx.TransportError as error:
                stats.errors[f"{label} {type(error).__name__}"] += 1
            await asyncio.sleep(0.5 * 2**attempt)
        raise RuntimeError(f"{label} failed")

    async def form(url, data, label):
        page = await call("GET", url, f"load {label}")
        hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}  # CSRF, what the page showed
        await asyncio.sleep(random.uniform(*think))
        return await call("POST", url, f"save {label}", data={**hidden, **data})

    await form("/", {"code": code}, "entry")
    await form("/q/assent/", {"agree": "on"}, "assent")
    for section, answers in pages:
        response = await form(f"/q/{section}/", {**answers, "next": "1"}, section)
        if response.status_code != 200:
            stats.errors[f"save {section} HTTP {response.status_code}"] += 1
    response = await form("/q/review/", {"submission_key": code}, "submit")
    return str(response.url).endswith("/q/done/")


async def run(base: str, codes: list[str], concurrency: int, think: tuple[float, float]) -> tuple[Stats, int, float]:
    stats, pages = Stats(), page_posts()
    queue: asyncio.Queue = asyncio.Queue()
    for code in codes:
        queue.put_nowait(code)
    done = 0

    async def worker():
        nonlocal done
        while not queue.empty():
            code = queue.get_nowait()
            async with httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=60) as client:
                try:
                    if await student(client, code, pages, stats, think):
                        done += 1
                except RuntimeError as error:
                    stats.errors[str(error)] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return stats, done, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def production_environment() -> dict:
    """The production settings on 127.0.0.1 (no TLS), against DATABASE_URL, CACHE_URL and CELERY_BROKER_URL."""
    return {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loadtest"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-test-only-" + "x" * 40),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1"),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    }


def prepare_study(students: int) -> tuple[dict, int, list[str]]:
    """The environment, and a fresh study's wave and access codes in the (created, migrated) database."""
    env = production_environment()
    os.environ.update(env)
    ensure_database(env["DATABASE_URL"])
    wave_id, codes = prepare(students)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return env, wave_id, codes


@contextmanager
def gunicorn(env: dict, workers: int):
    """The production web server on a free port, as the Procfile starts it; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--preload", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", "4", "--keep-alive", "75", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a loaded machine: the figures are measured already
            server.kill()
            server.wait()


def database_check(wave_id: int, students: int, done: int) -> bool:
    """Print and return whether every submission is stored exactly once, scored, with exactly the answers sent."""
    from surveys.models import Response, Score

    submitted = Response.objects.filter(wave_id=wave_id, status=Response.Status.SUBMITTED)
    rows = submitted.count()
    scored = Score.objects.filter(response__wave_id=wave_id).count()
    distinct = submitted.values("respondent_id").distinct().count()
    expected = {code: int(value) for _, answers in page_posts() for code, value in answers.items()}
    exact = sum(answers == expected for answers in submitted.values_list("answers", flat=True))
    print(f"database: {rows} submitted responses for {distinct} students ({students} expected), {scored} scored, "
          f"{exact} with exactly the answers sent")
    ok = rows == distinct == scored == exact == students == done
    print("CHECK", "PASSED: every submission stored exactly once and scored" if ok else "FAILED")
    return ok


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument(
        "--think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
        help="seconds between loading and saving a page (1 3 for a stress run)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread, 4 threads each)")
    args = parser.parse_args()

    env, wave_id, codes = prepare_study(args.students)
    with gunicorn(env, args.workers) as base:
        print(f"{len(codes)} students, {args.concurrency} at a time, think {args.think[0]}-{args.think[1]} s, gunicorn {args.workers}x4 threads")
        stats, done, elapsed = asyncio.run(run(base, codes, args.concurrency, tuple(args.think)))

    requests = sum(len(values) for values in stats.latency.values())
    print(f"\n{requests} requests in {elapsed:.1f} s: {requests / elapsed:.1f} requests/s, {done / elapsed * 60:.0f} submissions/min")
    print(f"{'page':<28}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label in sorted(stats.latency):
        values = stats.latency[label]
        print(f"{label:<28}{len(values):>7}{percentile(values, 50) * 1000:>9.0f}{percentile(values, 95) * 1000:>9.0f}{percentile(values, 99) * 1000:>9.0f}")
    saves = [v for label, values in stats.latency.items() if label.startswith("save ") for v in values]
    print(f"{'all page saves':<28}{len(saves):>7}{percentile(saves, 50) * 1000:>9.0f}{percentile(saves, 95) * 1000:>9.0f}{percentile(saves, 99) * 1000:>9.0f}")
    print(f"errors (retried): {dict(stats.errors) or 0}")
    sys.exit(0 if database_check(wave_id, len(codes), done) else 1)


if __name__ == "__main__":
    main()
