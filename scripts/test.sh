#!/usr/bin/env bash
# Run the whole test suite: unit tests of the pure cores, HTTP and database
# tests, and end-to-end tests in headless Chromium. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
# System packages of the tests: Chromium and a CJK font for the browser tests,
# R (a test-only dependency) as the oracle of the analyses and the loader scripts.
system_packages="chromium fonts-noto-cjk r-base-core r-cran-cluster r-cran-psych r-cran-matchit r-cran-sandwich r-cran-lmtest r-cran-haven r-cran-readr"
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $system_packages 2>/dev/null | awk '$1 != "ii" {print $2}')
missing="$missing $(for p in $system_packages; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)"
if [ -n "${missing// /}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $system_packages >/dev/null
  else
    echo "missing system packages: run 'sudo apt-get install $system_packages'" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy  # the pure cores, with django-stubs (mypy.ini)
exec .venv/bin/python -m pytest "$@"
