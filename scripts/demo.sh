#!/usr/bin/env bash
# Set everything up and run the app on the embedded default: SQLite, a Celery
# worker with beat on a broker kept in files, a demo study with synthetic
# students. Prints the URL and a working access code. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings.local
port=${PORT:-8000}
.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py demo --url "http://127.0.0.1:${port}/"
mkdir -p var/log
.venv/bin/celery -A config worker -Q interactive,analysis --beat --pool=solo --loglevel=INFO --logfile var/log/celery.log &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Celery worker and beat running (log: var/log/celery.log). Serving on http://127.0.0.1:${port}/"
.venv/bin/python manage.py runserver "127.0.0.1:${port}" --noreload
