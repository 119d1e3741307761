#!/usr/bin/env bash
# `make test`: the whole suite against a throwaway PostgreSQL and Debian's Chromium, on every
# core (pytest-xdist, a file's tests on one worker): first the tests that roll back, then those that commit for real (live
# servers, concurrency), which flush their database and must not run before the others.
# `make test-fast` (FAST=1): the first pass without the slow tier and without the browser.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FAST:-}" ] && [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian package: chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Missing: chromium. Install it (e.g. 'sudo apt-get install chromium') and run make test again." >&2
    exit 1
  fi
fi

export DJANGO_SETTINGS_MODULE=drec.settings_test
exec scripts/with-postgres.sh scripts/test-passes.sh "$@"
