#!/usr/bin/env bash
# Run the whole test suite: unit tests of the pure cores, HTTP and database
# tests, and end-to-end tests in headless Chromium. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "Chromium or CJK fonts missing: run 'sudo apt-get install chromium fonts-noto-cjk'" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
