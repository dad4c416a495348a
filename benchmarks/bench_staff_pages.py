"""Benchmark of every staff page and API list on a wave of 100,000 responses (PostgreSQL, production settings).

Fills a study (once; ``--refill`` to start again) with one wave of N responses
(default 100,000): 40 schools, N / 50 classes of 50 children, one access code
each, 90 % submitted and scored by the real engine (``scoring.engine``), 8 %
in progress, 2 % not started, 0.5 % withdrawn, some guardian consents, about
2,000 safeguarding alerts, 60 export jobs and 40 analysis runs, one account per
role. Then requests every staff page and API list through Django's test client
(URL routing, every middleware, the second factor, templates, serializers) with
``config.settings.production`` (``DEBUG`` off, Redis cache, PostgreSQL), ``--repeat``
times each after one warm-up request and one counted request, and prints: page, who asks, status, database
queries, the first request's ms (with ``--cold``, the cache cleared before it: the
cleaning flows computed), p50 and p95 in ms, and the median CPU ms of this process
(the web side; PostgreSQL's own time is the rest). No assertion: figures for the record only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/staffbench .venv/bin/python benchmarks/bench_staff_pages.py
    ... bench_staff_pages.py --n 20000 --repeat 10 --only roster alerts
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STUDY = "BENCHSTAFF"
CLASS_SIZE = 50
SCHOOLS = 40


def setup_django() -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "staff-pages-benchmark-only-" + "x" * 40),
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/staffbench"),
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/7"),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7"),
        "ALLOWED_HOSTS": "testserver,localhost",
        "SECURE_SSL_REDIRECT": "false",
    }
    for key, value in env.items():
        os.environ.setdefault(key, value)
    if not (ROOT / "var" / "static" / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)
    import logging

    import django

    django.setup()
    import config.wsgi  # noqa: F401 - as gunicorn loads it: every view imported, then the heap frozen (gc.freeze)

    logging.getLogger("axes").setLevel(logging.WARNING)  # one "successful login" line per role otherwise


def _ensure_database() -> None:
    """Create the benchmark's PostgreSQL database if it does not exist (never the ``test`` database)."""
    import psycopg
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if name in ("test", "postgres"):
        raise SystemExit(f"refusing to use database {name!r}")
    params = settings.DATABASES["default"]
    with psycopg.connect(
        host=params.get("HOST") or "127.0.0.1", port=params.get("PORT") or 5432, user=params.get("USER") or "postgres",
        password=params.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    ) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


# --------------------------------------------------------------------------- the data


def fill(n: int) -> None:
    """One study, one wave of ``n`` responses in classes of 50, scored; alerts, consents, exports, runs, staff."""
    import numpy as np
    import pandas as pd
    from bench_scoring import synthetic
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from analysis.models import AnalysisRun
    from common.models import AuditEvent
    from exports.models import ExportJob
    from safeguarding.models import Alert, GuardianConsent
    from studies.instruments import instrument_for, instrument_version_default
    from studies.models import Membership, Respondent, Role, School, SchoolClass, Study, Wave
    from surveys.access_codes import generate_access_code
    from surveys.models import AccessCode, Response
    from surveys.scores import scores_write

    rng = np.random.default_rng(15)
    version = instrument_version_default()
    instrument = instrument_for(version)
    sections = [section.code for section in instrument.sections]
    study = Study.objects.create(code=STUDY, name="staff pages benchmark")
    wave = Wave.objects.create(study=study, code="2026-1", instrument=version)
    Wave.objects.create(study=study, code="2025-1", instrument=version, is_open=False)  # an empty earlier wave
    schools = School.objects.bulk_create([School(study=study, code=f"S{i:02d}", name=f"School {i:02d}") for i in range(SCHOOLS)])
    n_classes = max(1, n // CLASS_SIZE)
    classes = SchoolClass.objects.bulk_create(
        [SchoolClass(school=schools[i % SCHOOLS], code=f"G7-{i:04d}") for i in range(n_classes)], batch_size=2000
    )
    frame = synthetic(n, seed=15)
    items = [code for code in instrument.item_codes if code in frame.columns]
    now = timezone.now()
    codes: set[str] = set()
    t0 = time.perf_counter()
    chunk = 20_000
    for start in range(0, n, chunk):
        part = frame.iloc[start : start + chunk].reset_index(drop=True)
        size = len(part)
        kind = rng.random(size)  # < 0.02 not started, < 0.10 in progress, else submitted
        submitted_at = pd.to_datetime(part["submitted_at"], utc=True)
        scoring = part[items].astype("float64").copy()
        scoring["submitted_at"] = submitted_at.dt.tz_convert("Asia/Shanghai").to_numpy()
        scoring["duration_s"] = part["duration_s"].to_numpy()
        records = part[items].to_dict(orient="records")
        with transaction.atomic():
            respondents = Respondent.objects.bulk_create(
                [
                    Respondent(
                        study=study, pid=f"P{start + i:08d}", school_class=classes[(start + i) // CLASS_SIZE % n_classes],
                        seat_number=(start + i) % CLASS_SIZE + 1, display_name=f"学生{start + i}",
                        withdrawn_at=now if rng.random() < 0.005 else None,
                    )
                    for i in range(size)
                ],
                batch_size=5000,
            )
            new_codes = []
            for respondent in respondents:
                code = generate_access_code()
                while code in codes:
                    code = generate_access_code()
                codes.add(code)
                new_codes.append(AccessCode(code=code, respondent=respondent, wave=wave))
            AccessCode.objects.bulk_create(new_codes, batch_size=5000)
            responses, submitted_rows = [], []
            for i, respondent in enumerate(respondents):
                if kind[i] < 0.02:
                    continue
                submitted = kind[i] >= 0.10
                answers = {k: int(v) for k, v in records[i].items() if v == v}
                if not submitted:
                    answers = dict(list(answers.items())[: len(answers) // 2])
                responses.append(
                    Response(
                        respondent=respondent, wave=wave, school_class_id=respondent.school_class_id,
                        status=Response.Status.SUBMITTED if submitted else Response.Status.DRAFT, answers=answers,
                        instrument_version=version.version, started_at=now, last_activity_at=now,
                        current_section="" if submitted else sections[i % len(sections)],
                        submitted_at=submitted_at[i].to_pydatetime() if submitted else None,
                        duration_s=int(part["duration_s"][i]) if submitted else None, source="web", revision=3,
                    )
                )
                if submitted:
                    submitted_rows.append(i)
            Response.objects.bulk_create(responses, batch_size=2000)
            submitted_responses = [response for response in responses if response.status == Response.Status.SUBMITTED]
            to_score = scoring.iloc[submitted_rows].set_axis([response.pk for response in submitted_responses])
            scores_write(wave_id=wave.pk, scoring_input=to_score, instrument=instrument, existing="keep")  # the one score writer
            consents = [
                GuardianConsent(respondent=respondent, wave=wave, method=GuardianConsent.Method.PAPER, decision="given", decided_at=now)
                for respondent in respondents[::3]
            ]
            GuardianConsent.objects.bulk_create(consents, batch_size=5000)
            alerts = [
                Alert(
                    study=study, school_id=respondent.school_class.school_id, school_class_id=respondent.school_class_id,
                    respondent=respondent, wave=wave, response=response, rules=[{"name": "depression score", "code": "dep"}],
                    status=("open", "acknowledged", "closed")[int(rng.integers(0, 3))], notified_at=now,
                )
                for response, respondent in ((r, r.respondent) for r in responses[::45] if r.status == Response.Status.SUBMITTED)
            ]
            Alert.objects.bulk_create(alerts, batch_size=2000)
        print(f"  {start + size:,} / {n:,} respondents stored ({time.perf_counter() - t0:.0f} s)", flush=True)
    Wave.objects.filter(pk=wave.pk).update(data_changed_at=now)

    users = {}
    User = get_user_model()
    first_class = classes[0]
    roles = {
        "teacher": {"role": Role.TEACHER, "school": first_class.school, "school_class": first_class},
        "school_admin": {"role": Role.SCHOOL_ADMIN, "school": first_class.school},
        "counsellor": {"role": Role.COUNSELLOR, "school": first_class.school},
        "researcher": {"role": Role.RESEARCHER},
        "study_admin": {"role": Role.STUDY_ADMIN},
    }
    for name, membership in roles.items():
        user = User.objects.create_user(username=f"bench-{name}", password=f"bench-{name}", first_name=name)
        Membership.objects.create(user=user, study=study, **membership)
        users[name] = user
    runs = []
    for i in range(40):
        status = ("succeeded", "failed", "cancelled", "succeeded")[i % 4]
        runs.append(
            AnalysisRun(
                wave=wave, status=status, parameters={"study": "both", "k": None, "years": "1-12"},
                instrument_version=version.version, data_fingerprint=f"{i:064x}", rows_read=n, data_changed_at=now,
                code_version="bench", progress=1.0, timings={"read": 3.1, "ward": 20.0}, created_by=users["researcher"],
                trigger="user" if i % 2 else "schedule", started_at=now, finished_at=now if status != "cancelled" else None,
                results_json='{"notes": [], "tables": {"t": "' + "x" * 200_000 + '"}}' if status == "succeeded" else "",
            )
        )
    runs = AnalysisRun.objects.bulk_create(runs)
    AnalysisRun.objects.filter(pk=runs[-1].pk).update(pinned_at=now, pinned_by=users["researcher"])
    flow = [{"rule": "raw", "flag": "", "enabled": None, "dropped": 0, "remaining": n}]
    ExportJob.objects.bulk_create(
        [
            ExportJob(
                wave=wave, study=study, options={"cleaned": bool(i % 2), "format": ("csv", "dta", "sav")[i % 3], "layout": "wide"},
                status=("done", "failed", "expired", "done")[i % 4], progress=100, row_count=n, flow=flow, fingerprint=f"{i:064x}",
                analysis_run=runs[0], created_by=users["researcher"], finished_at=now, expires_at=now,
            )
            for i in range(60)
        ]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(actor=users["study_admin"], actor_name="bench-study_admin", action="export.start", target=f"export {i}", study=study)
            for i in range(3000)
        ],
        batch_size=1000,
    )


def world() -> dict:
    from django.contrib.auth import get_user_model

    from safeguarding.models import Alert
    from studies.models import Respondent, SchoolClass, Study, Wave
    from surveys.models import Response

    study = Study.objects.get(code=STUDY)
    wave = Wave.objects.get(study=study, code="2026-1")
    users = {user.username.removeprefix("bench-"): user for user in get_user_model().objects.filter(username__startswith="bench-")}
    teacher_class = users["teacher"].memberships.get().school_class
    counsellor_school = users["counsellor"].memberships.get().school
    return {
        "study": study, "wave": wave, "users": users, "class": teacher_class,
        "n": Response.objects.filter(wave=wave).count(),
        "submitted": Response.objects.filter(wave=wave, status="submitted").count(),
        "respondents": Respondent.objects.filter(study=study).count(),
        "classes": SchoolClass.objects.filter(school__study=study).count(),
        "alert": Alert.objects.filter(school=counsellor_school).order_by("pk").first(),
        "alerts": Alert.objects.filter(study=study).count(),
        "pid": Respondent.objects.filter(study=study, responses__status="submitted").order_by("pid").values_list("pid", flat=True).first(),
    }


# --------------------------------------------------------------------------- the pages


def pages(w: dict) -> list[tuple[str, str, str]]:
    """(name, role, path) of every staff page and API list."""
    study, wave, klass = w["study"], w["wave"], w["class"]
    roster = f"/school/classes/{klass.pk}/waves/{wave.pk}/"
    return [
        ("staff home (wave counts)", "researcher", "/staff/"),
        ("school dashboard", "teacher", "/school/"),
        ("school dashboard (all classes)", "study_admin", "/school/"),
        ("class", "teacher", f"/school/classes/{klass.pk}/"),
        ("roster", "teacher", roster),
        ("roster rows (poll)", "teacher", roster + "rows/"),
        ("roster CSV", "teacher", roster + "roster.csv"),
        ("reminders", "teacher", roster + "reminders/"),
        ("slips", "teacher", roster + "slips/"),
        ("alerts", "counsellor", "/school/alerts/"),
        ("alerts (whole study)", "study_admin", "/school/alerts/"),
        ("alert", "counsellor", f"/school/alerts/{w['alert'].pk}/"),
        ("respondent search", "researcher", f"/school/studies/{study.pk}/respondents/"),
        ("respondent history", "researcher", f"/school/studies/{study.pk}/respondents/{w['pid']}/"),
        ("answer history", "study_admin", f"/school/studies/{study.pk}/respondents/{w['pid']}/answers/"),
        ("withdrawn", "study_admin", f"/school/studies/{study.pk}/withdrawn/"),
        ("audit log", "study_admin", "/school/audit/"),
        ("wave list + flow (exports)", "researcher", "/research/exports/"),
        ("export form + flow", "researcher", f"/research/exports/wave/{wave.pk}/"),
        ("exports list", "researcher", "/research/exports/downloads/"),
        ("runs list", "researcher", "/research/analysis/"),
        ("tokens", "researcher", "/research/tokens/"),
        ("API studies", "researcher", "/api/v1/studies/"),
        ("API waves", "researcher", "/api/v1/waves/"),
        ("API wave flow", "researcher", f"/api/v1/waves/{wave.pk}/flow/"),
        ("API schools", "researcher", "/api/v1/schools/"),
        ("API classes", "researcher", "/api/v1/classes/"),
        ("API respondents", "researcher", "/api/v1/respondents/"),
        ("API respondents ?class_id", "researcher", f"/api/v1/respondents/?class_id={klass.pk}"),
        ("API responses", "researcher", f"/api/v1/responses/?wave_id={wave.pk}"),
        ("API scores", "researcher", f"/api/v1/scores/?wave_id={wave.pk}"),
        ("API roster", "teacher", f"/api/v1/roster/?class_id={klass.pk}&wave_id={wave.pk}"),
        ("API alerts", "counsellor", "/api/v1/alerts/"),
        ("API alerts (whole study)", "study_admin", "/api/v1/alerts/"),
        ("API memberships", "study_admin", "/api/v1/memberships/"),
        ("API exports", "researcher", "/api/v1/exports/"),
        ("API analysis runs", "researcher", "/api/v1/analysis-runs/"),
    ]


def measure(w: dict, repeat: int, only: list[str] | None, flush_cache: bool = False) -> list[dict]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.factories import otp_verify_session

    clients = {}
    rows = []
    for name, role, path in pages(w):
        if only and not any(word.lower() in name.lower() for word in only):
            continue
        if role not in clients:
            client = Client(SERVER_NAME="localhost")
            client.force_login(w["users"][role])
            otp_verify_session(client, w["users"][role])
            clients[role] = client
        client = clients[role]
        if flush_cache:
            cache.clear()
        began = time.perf_counter()
        client.get(path, secure=True)  # warm-up: the cache (the flows), the connection, the templates
        first = (time.perf_counter() - began) * 1000
        connection.queries_log.clear()  # a full log (maxlen) would count nothing
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path, secure=True).status_code
        n_queries = len(queries)
        times, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            reply = client.get(path, secure=True)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            status = reply.status_code
        times.sort()
        p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
        row = {"page": name, "role": role, "path": path, "status": status, "queries": n_queries, "first": first,
               "p50": statistics.median(times), "p95": p95, "cpu": statistics.median(cpu)}
        rows.append(row)
        print(
            f"{name:<32}{role:<13}{status:>7}{n_queries:>9}{first:>10.0f}{row['p50']:>10.1f}{p95:>10.1f}{row['cpu']:>10.1f}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="respondents in the wave (default 100000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--refill", action="store_true", help="drop the benchmark study and fill it again")
    parser.add_argument("--only", nargs="+", help="pages whose name contains one of these words")
    parser.add_argument("--cold", action="store_true", help="clear the cache before each page (first ms: the flows computed)")
    args = parser.parse_args()

    setup_django()
    _ensure_database()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from studies.models import Study

    existing = Study.objects.filter(code=STUDY).first()
    if existing is not None and (args.refill or existing.respondents.count() != args.n):
        print("dropping the previous benchmark data...", flush=True)
        with connection.cursor() as cursor:  # the benchmark's own database: every row goes
            cursor.execute("TRUNCATE surveys_study, auth_user, schools_auditevent RESTART IDENTITY CASCADE")
        existing = None
    if existing is None:
        print(f"filling a wave of {args.n:,} respondents...", flush=True)
        t0 = time.perf_counter()
        fill(args.n)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"filled in {time.perf_counter() - t0:.0f} s", flush=True)
    w = world()
    load = os.getloadavg()
    print(
        f"\ndata: {w['n']:,} responses in one wave ({w['submitted']:,} submitted), {w['respondents']:,} respondents, "
        f"{w['classes']:,} classes of {CLASS_SIZE}, {w['alerts']:,} alerts; {args.repeat} timed requests per page; "
        f"database {connection.vendor} {connection.settings_dict['NAME']}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'page':<32}{'as':<13}{'status':>7}{'queries':>9}{'first ms':>10}{'p50 ms':>10}{'p95 ms':>10}{'cpu ms':>10}")
    measure(w, args.repeat, args.only, flush_cache=args.cold)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
