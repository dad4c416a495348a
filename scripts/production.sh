#!/usr/bin/env bash
# Start the production stack by hand on one machine: gunicorn, a Celery worker for the
# interactive queue, one for the analysis queue, and Celery beat.
# Needs the environment of README "Production" (SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, ALLOWED_HOSTS).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.production
: "${SECRET_KEY:?set SECRET_KEY}" "${DATABASE_URL:?set DATABASE_URL}" "${CELERY_BROKER_URL:?set CELERY_BROKER_URL}"
scripts/bootstrap.sh
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py check --deploy --fail-level WARNING
.venv/bin/python manage.py warm_analysis
mkdir -p var/log
.venv/bin/celery -A config worker -Q interactive -n interactive@%h --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" --max-tasks-per-child 50 --logfile var/log/worker.log &
pids=$!
.venv/bin/celery -A config worker -Q analysis -n analysis@%h --loglevel=INFO --concurrency "${ANALYSIS_CONCURRENCY:-1}" --max-tasks-per-child 10 --logfile var/log/analysis.log &
pids="$pids $!"
.venv/bin/celery -A config beat --loglevel=INFO --logfile var/log/beat.log &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true' EXIT INT TERM
.venv/bin/gunicorn config.wsgi --preload --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-4}" --worker-class gthread --threads 4 --keep-alive 75 --timeout 60 --access-logfile -
